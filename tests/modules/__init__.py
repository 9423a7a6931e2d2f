"""Small importable example modules used by the tests."""
