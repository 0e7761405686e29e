# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint clean package

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/photoapp gui

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q
	$(BIN)/lint-imports

# The release artifacts in dist/: wheel + sdist, and the standalone build dist/photoapp-linux/
# (launcher dist/photoapp-linux/photoapp, install.sh beside it). See packaging/README.md.
package: $(STAMP)
	rm -rf dist/photoapp-linux build/pyinstaller
	$(BIN)/python -m build --no-isolation --outdir dist .
	nice $(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/photoapp.spec
	du -sh dist/*.whl dist/*.tar.gz dist/photoapp-linux

clean:
	rm -rf $(VENV) build dist *.egg-info
