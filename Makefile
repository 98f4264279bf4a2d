# The two commands of README.md:
#   make demo   set up .venv and generate the demo dataset (configs/text_words.yaml) and its preview
#   make test   set up .venv and run the tests
# and, while working on the code:
#   make test-fast   the unit tests: every test not marked slow (`pytest -m "not slow"`), so a new
#                    test runs here unless it is marked; 1,086 tests in 48 s on the 2-core
#                    development machine (README, Development)
# Both run the tests in TEST_PROCS pytest-xdist processes (default 2: the whole suite takes 4.6 min
# instead of ~7.5 on 2 cores); TEST_PROCS=0 runs them in one process. worksteal: an idle process takes
# queued tests from the other, so a long test near the end does not leave one process waiting.
VENV ?= .venv
STAMP := $(VENV)/.synthgen-setup
DEMO_OUT ?= out/demo
WORKERS ?= 2
TEST_PROCS ?= 2

.PHONY: setup demo test test-fast bench clean

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/synthgen generate configs/text_words.yaml -o $(DEMO_OUT) --workers $(WORKERS)
	$(VENV)/bin/synthgen preview $(DEMO_OUT)

test: setup
	$(VENV)/bin/python -m pytest -q -n $(TEST_PROCS) --dist worksteal

test-fast: setup
	$(VENV)/bin/python -m pytest -q -n $(TEST_PROCS) --dist worksteal -m "not slow"

bench: setup
	$(VENV)/bin/python scripts/bench_generate.py

clean:
	rm -rf out
