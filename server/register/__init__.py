"""The household register: households, members, versions, assessments, workflow cases, department
data comparison, audit log, entity list, and the read model exports use (docs/register.md).

Modules by role: ``models`` (tables), ``households`` (apply records, conflicts), ``assessing``
(scoring glue), ``cases`` (workflow in the register), ``comparison``/``tables``/``comparison_import``
(数据比对), ``region_import``, ``entities``/``openrosa_entities`` (households.csv), ``read_model``,
``rescoring`` (job), ``audit``, ``scope``, ``ingest_steps`` (pipeline steps), ``cli``, ``demo``.
"""
