"""The SYNTHETIC sample submissions' generator (not real figures): tools/make_samples.py writes inputs/ with it, the
benchmarks scale it up, and the tests use it. It lives beside vision_report, not in the installed package."""
