"""`make chaos`: faults injected into real processes under load, and one table of what the callers saw.

The same scenarios run in `tests/chaos` against processes the tests start, where their outcomes are asserted
(failed requests, circuits opened, retries within the budget); here they run against the stack `make up` started,
and the latencies are measured and printed, never asserted.
"""
