import kit.ratelimit


def test_public_names_exist_and_are_sorted() -> None:
    names = kit.ratelimit.__all__

    assert all(hasattr(kit.ratelimit, name) for name in names)
    assert list(names) == sorted(names)
    assert {"TokenBucket", "Global", "PerClient", "Limiter", "erroring", "delaying", "limit", "read_configs"} <= set(
        names
    )
