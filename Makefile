# `make lab` and `make test` set everything up themselves (a fresh machine needs only python3, and
# Node.js/npm to build the JupyterLab extension in frontend/).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup lab test bench notebooks clean

FRONTEND := frontend/package.json frontend/package-lock.json $(wildcard frontend/src/*.ts frontend/style/*)

# The editable install builds the frontend extension (hatch-jupyter-builder runs npm; again only
# when frontend/src is newer than hamilton_nb/labextension). `jupyter labextension develop` then
# links the venv's share/jupyter/labextensions/hamilton-nb to that build, as the extension
# template does, so JupyterLab and Notebook 7 load it and a rebuild shows on a page reload.
$(STAMP): pyproject.toml $(FRONTEND)
	@command -v npm >/dev/null || { echo "Node.js and npm are needed to build the JupyterLab extension in frontend/"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,hamilton,compat,dask,polars]"
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/jupyter-builder develop --overwrite .
	touch $(STAMP)

setup: $(STAMP)

# `jupyter trust`: JupyterLab draws saved widget outputs (the graphs) only in trusted notebooks;
# these are the project's own tutorials, so sign them in the local trust database.
lab: setup
	$(VENV)/bin/jupyter trust notebooks/*.ipynb
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

# The tutorials are tests too: strict nbval (outputs must match the saved ones, see
# notebooks/nbval_sanitize.cfg) with a kernel running this venv's python.
NBVAL := --nbval --nbval-current-env --nbval-cell-timeout=600 --nbval-sanitize-with notebooks/nbval_sanitize.cfg

test: setup
	$(PY) -m pytest tests notebooks $(NBVAL)

bench: setup
	$(PY) benchmarks/run.py

# Re-execute every tutorial top to bottom and save it with its outputs (commit the result).
notebooks: setup
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis frontend/node_modules frontend/lib frontend/tsconfig.tsbuildinfo \
		hamilton_nb/labextension
