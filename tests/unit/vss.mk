# vss unit tests (cmocka); see tests/unit/test_vss_*.c
