"""The bank-statement path without Dagster, on the transaction path's steps.

* :mod:`~ntropy_dagster.core.statements.files`: the watched folder, partition keys, pre-upload checks;
* :mod:`~ntropy_dagster.core.statements.discovery`: which files of the folder are new;
* :mod:`~ntropy_dagster.core.statements.state`: each statement's durable state (``bank_statements``);
* :mod:`~ntropy_dagster.core.statements.upload`: upload exactly once (adoption of interrupted uploads);
* :mod:`~ntropy_dagster.core.statements.jobs`: poll the jobs, wait for one, store its results;
* :mod:`~ntropy_dagster.core.statements.extract`: API objects to warehouse rows, balances;
* :mod:`~ntropy_dagster.core.statements.enrich`: the extracted transactions through the enrichment path;
* :mod:`~ntropy_dagster.core.statements.errors`: what stops a statement until someone acts.
"""
