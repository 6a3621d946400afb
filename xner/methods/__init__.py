"""The methods of the comparison; each is a config in conf/method/ with a `run(ctx)`."""
