"""End-to-end tests against the whole local stack: the Postman collection through newman, and a headless browser.

A package (unlike most test folders) so that the stack fixture's `package` scope ends with these tests."""
