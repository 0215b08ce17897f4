"""Side-by-side speed measurements of the book's code against reference implementations.

Run ``python -m benchmarks`` (or ``make bench``): every workload is timed together with its
reference in the same process, and the report (``benchmarks/results.md`` + ``results.json``)
gives each figure, the ratio, the spread over repetitions and the fraction of the machine's
matrix-multiply peak, measured in the same run. Speed is never asserted by a test: the tests only
check that a tiny configuration runs and writes a well-formed report.
"""
