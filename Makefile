# The two commands of README.md:
#   make demo   set up .venv and generate the demo dataset (configs/text_words.yaml) and its preview
#   make test   set up .venv and run the tests
# and, while working on the code:
#   make test-fast   the unit tests: every test not marked slow (`pytest -m "not slow"`), so a new
#                    test runs here unless it is marked; 1,073 tests, 92 s of CPU on the shared
#                    2-core development machine, where main's 1,122 took 129 s side by side
#                    (README, Development)
VENV ?= .venv
STAMP := $(VENV)/.synthgen-setup
DEMO_OUT ?= out/demo
WORKERS ?= 2

.PHONY: setup demo test test-fast bench clean

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/synthgen generate configs/text_words.yaml -o $(DEMO_OUT) --workers $(WORKERS)
	$(VENV)/bin/synthgen preview $(DEMO_OUT)

test: setup
	$(VENV)/bin/python -m pytest -q

test-fast: setup
	$(VENV)/bin/python -m pytest -q -m "not slow"

bench: setup
	$(VENV)/bin/python scripts/bench_generate.py

clean:
	rm -rf out
