# One-command entry points. Each target creates (once) and reuses the virtual environment in .venv.
#   make test             full suite on the reference solutions: dfkit, graded tests, parity gates, notebooks
#   make demo             phase 1 end to end on synthetic data, then a cross-manipulation matrix; in demo_output/
#   make grade            grade the learner templates (HIDDEN_TESTS=dir adds an instructor's hidden tests)
#   make check-templates  seconds: are the templates current (edited ones are kept) and do they expose the solutions' API?
#   make templates        regenerate templates from solutions (FORCE=1 overwrites edited ones)
#   make notebooks        re-run every phase notebook on the solutions, saving its outputs in place (commit them)
#   make gradebook GRADES='grades/*/grades.json' [OUT=class.csv]   one CSV and a summary for a class
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
GRADES_DIR ?= .
HIDDEN_TESTS ?=
GRADES ?=
OUT ?= class.csv
DEMO_DIR ?= demo_output

.PHONY: install test demo grade check-templates templates gradebook notebooks

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e . --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

test: install
	$(PY) -m pytest

grade: install
	$(PY) -m pytest tests $(HIDDEN_TESTS) -m points --impl templates --grades-dir $(GRADES_DIR) -q --no-header --tb=no -rN -p no:warnings

# Both checks always run; the target fails if either does (a stale unedited template, an API mismatch).
check-templates: install
	@status=0; $(PY) -m dfkit.curriculum.generate --check || status=1; \
	$(PY) -m dfkit.curriculum.parity || status=1; exit $$status

templates: install
	$(PY) -m dfkit.curriculum.generate $(if $(FORCE),--force)

gradebook: install
	$(if $(GRADES),,$(error give the reports: make gradebook GRADES='grades/*/grades.json'))
	$(PY) -m dfkit.curriculum.gradebook $(GRADES) --out $(OUT)

demo: install
	$(PY) -m dfkit.synthetic --out $(DEMO_DIR)/data --num-videos 128 --frames 8 --size 256 --seed 0 \
		--manipulations blend --strength 0.3
	$(PY) phase1_cnn_detection/train.py --dataset synthetic --data-root $(DEMO_DIR)/data --model meso4 \
		--epochs 10 --batch-size 8 --lr 2e-3 --frames-per-video 3 --faces-dir $(DEMO_DIR)/faces \
		--output $(DEMO_DIR)/meso4
	$(PY) phase1_cnn_detection/evaluate.py --checkpoint $(DEMO_DIR)/meso4/best.pt --dataset synthetic \
		--test-data $(DEMO_DIR)/data --frames-per-video 3 --faces-dir $(DEMO_DIR)/faces --output $(DEMO_DIR)/report
	@echo "demo report: $(DEMO_DIR)/report/metrics.json (ROC plot beside it)"
	$(PY) -m dfkit.synthetic --out $(DEMO_DIR)/cross_data --num-videos 32 --frames 8 --size 128 --seed 0 \
		--manipulations blend flicker upsample
	$(PY) cross_matrix.py --dataset synthetic --data-root $(DEMO_DIR)/cross_data --methods BlendSwap Flicker Upsample \
		--model spectrum_logreg --epochs 4 --batch-size 8 --frames-per-video 3 --output $(DEMO_DIR)/cross --quiet
	@echo "cross-manipulation matrix: $(DEMO_DIR)/cross/cross_matrix.json (heat map beside it)"

notebooks: install
	$(PY) -m dfkit.notebook $(wildcard phase*_*/*.ipynb)
