import kit.circuitbreaker


def test_public_names_exist_and_are_sorted() -> None:
    names = kit.circuitbreaker.__all__

    assert all(hasattr(kit.circuitbreaker, name) for name in names)
    assert list(names) == sorted(names)
    assert {"Breaker", "State", "circuit_breaker"} <= set(names)
