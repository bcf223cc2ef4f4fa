"""Spreadsheet import and export of the reply library (.xlsx, .csv, .jsonl).

read_file() -> ParsedFile -> build_plan() -> ImportPlan (the validation report) ->
apply_plan() writes it; export_file() writes the same columns back out.
"""
