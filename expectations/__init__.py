"""Great Expectations 1.x suites, one per input entity, built from the input contract."""
