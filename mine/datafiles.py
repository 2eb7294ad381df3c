"""Data files for the command line: CSV/TSV, Parquet, .npy and .npz read with pandas and numpy.

A table is read as text and only the columns a user selects are converted to numbers, so a text
column elsewhere in the file (an id, a label) does no harm; an empty cell, a NaN or a non-numeric
value in a selected column is an error naming its row (the file's line) and column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import first_non_finite_row

__all__ = ["Table", "read_table", "parse_columns"]

TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
PARQUET_SUFFIXES = {".parquet", ".pq"}


@dataclass
class Table:
    """A data file's contents: a 2-D table (``frame``, text or numbers, with ``names`` when the file
    had a header) or named arrays (``arrays``, from .npz). ``first_line`` is the file line of the
    first data row (for messages), 0 when rows have no lines.

    Parameters
    ----------
    frame : DataFrame or None
        The table (text cells for text files).
    names : list of str or None
        Column names, when the file had a header.
    arrays : dict or None
        Named arrays (.npz).
    array : ndarray or None
        A 2-D .npy array, memory-mapped (read a batch at a time by the estimator).
    first_line : int
        The file line of the first data row (0: rows have no lines).
    path : str
        The file, for messages.
    """

    frame: pd.DataFrame | None = None
    names: list[str] | None = None
    arrays: dict[str, np.ndarray] | None = None
    array: np.ndarray | None = None
    first_line: int = 0
    path: str = ""

    @property
    def n_columns(self) -> int:
        """Columns of the table (0 for .npz arrays)."""
        if self.array is not None:
            return self.array.shape[1]
        return 0 if self.frame is None else self.frame.shape[1]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_integer(text: str) -> bool:
    return text.strip().lstrip("+-").isdigit()


def detect_header(rows: list[list[str]]) -> bool:
    """Whether the first of some text rows is a header: a cell of it is not a number, or every cell
    of it is an integer above a column whose other non-empty values are numbers and not all integers
    (column numbers or years over real-valued data). ``--header yes/no`` overrides the guess."""
    if not rows:
        return False
    first, rest = rows[0], rows[1:]
    if any(cell.strip() and not _is_number(cell) for cell in first):
        return True
    if not rest or not all(_is_integer(cell) for cell in first):
        return False
    for j in range(len(first)):
        below = [row[j].strip() for row in rest if j < len(row) and row[j].strip()]
        if below and all(_is_number(v) for v in below) and not all(_is_integer(v) for v in below):
            return True
    return False


def _read_text(path: Path, header: str) -> Table:
    separator = TEXT_SUFFIXES.get(path.suffix.lower(), ",")
    with path.open(newline="") as handle:
        sample = handle.read(65536)
    if not sample.strip():
        raise ValueError(f"{path} is empty")
    if separator is None:  # .txt: the separator is guessed from the first lines
        try:
            separator = csv.Sniffer().sniff(sample, delimiters=",\t; ").delimiter
        except csv.Error:
            separator = ","
    try:
        frame = pd.read_csv(
            path,
            sep=separator,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            skipinitialspace=True,
            engine="python",
        )
    except pd.errors.ParserError as err:
        raise ValueError(f"{path}: rows have different numbers of columns ({str(err).strip()})") from None
    rows = frame.head(50).to_numpy().tolist()
    has_header = {"yes": True, "no": False}.get(header, None)
    if has_header is None:
        has_header = detect_header(rows)
    names = None
    if has_header:
        names = [str(v).strip() for v in frame.iloc[0]]
        frame = frame.iloc[1:].reset_index(drop=True)
        frame.columns = names
    if frame.shape[0] == 0:
        raise ValueError(f"{path} has a header and no data rows")
    return Table(frame=frame, names=names, first_line=2 if has_header else 1, path=str(path))


def read_table(path: Path | str, header: str = "auto") -> Table:
    """Read a .csv/.tsv/.txt (header ``"auto"``-detected, ``"yes"`` or ``"no"``), .parquet, .npy (1-D
    or 2-D) or .npz (named arrays) file.

    Parameters
    ----------
    path : str or Path
        The file.
    header : {"auto", "yes", "no"}
        Whether a text file's first row names the columns.

    Returns
    -------
    Table
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"no such file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a data file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path) as archive:
                return Table(arrays={k: archive[k] for k in archive.files}, path=str(path))
        if suffix == ".npy":
            array = np.load(path, mmap_mode="r")  # not read into memory: the estimator reads batches
            if array.ndim not in (1, 2):
                raise ValueError(f"{path}: expected a 1-D or 2-D array, got shape {array.shape}")
            return Table(array=array.reshape(-1, 1) if array.ndim == 1 else array, path=str(path))
    except (OSError, EOFError) as err:
        raise ValueError(f"{path} is not a readable numpy file ({err})") from None
    if suffix in PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise ValueError("reading Parquet needs pyarrow: pip install 'mine-mi[parquet]'") from None
        names = [str(c) for c in frame.columns]
        frame.columns = names
        return Table(frame=frame, names=names, path=str(path))
    if suffix in TEXT_SUFFIXES or not suffix:
        try:
            return _read_text(path, header)
        except UnicodeDecodeError:
            raise ValueError(f"{path} is not a text file (use .csv, .tsv, .parquet, .npy or .npz)") from None
    raise ValueError(f"{path}: unknown file type {suffix!r}; use .csv, .tsv, .txt, .parquet, .npy or .npz")


def parse_columns(spec: str, n_columns: int, names: list[str] | None) -> list[int]:
    """Column indices from 'a,b', '0,3', '0:10' (end excluded) or a mix of them.

    Parameters
    ----------
    spec : str
        Comma-separated names, indices or START:STOP ranges.
    n_columns : int
        Columns of the table.
    names : list of str or None
        Column names (a name wins over an index).

    Returns
    -------
    list of int
    """
    columns: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if names is not None and part in names:
            columns.append(names.index(part))
        elif ":" in part:
            start, _, stop = part.partition(":")
            try:
                columns += list(range(n_columns))[slice(int(start) if start else None, int(stop) if stop else None)]
            except ValueError:
                raise ValueError(f"bad column range {part!r}; write START:STOP with integers") from None
        elif part.lstrip("-").isdigit():
            index = int(part)
            if not -n_columns <= index < n_columns:
                raise ValueError(f"column {index} is out of range for {n_columns} columns")
            columns.append(index % n_columns)
        else:
            known = ", ".join(names) if names else "none (the file has no header)"
            raise ValueError(f"unknown column {part!r}; column names: {known}")
    if not columns:
        raise ValueError(f"no columns selected by {spec!r}")
    return columns


def _column_label(table: Table, j: int) -> str:
    return f"column {table.names[j]!r}" if table.names else f"column {j}"


def to_numbers(table: Table, columns: list[int]) -> np.ndarray:
    """The selected columns as float64; the first row with an empty, NaN, infinite or non-numeric cell
    is an error that names its line and column (:func:`mine.inputs.first_non_finite_row`)."""
    out = np.empty((table.frame.shape[0], len(columns)), dtype=np.float64)
    texts = []
    for k, j in enumerate(columns):
        cells = table.frame.iloc[:, j]
        if pd.api.types.is_numeric_dtype(cells) or pd.api.types.is_bool_dtype(cells):
            text, values = cells.astype(str), cells.to_numpy(dtype=np.float64, na_value=np.nan)
        else:  # text (object or string dtype): numbers where they parse, NaN where not
            text = cells.astype(str).str.strip()
            values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        out[:, k] = values
        texts.append(text)
    i = first_non_finite_row(out)
    if i is not None:
        k = int(np.argmin(np.isfinite(out[i])))
        where = f"line {table.first_line + i}" if table.first_line else f"row {i}"
        cell = texts[k].iloc[i]
        what = "an empty cell" if cell == "" else f"the value {cell!r}"
        count = int(np.count_nonzero(~np.isfinite(out[:, k])))
        raise ValueError(
            f"{table.path}: {what} at {where}, {_column_label(table, columns[k])} "
            f"({count} such cell(s) in that column); MI needs finite numbers: "
            "drop or impute those rows first"
        )
    return out


def select(table: Table, spec: str, default_key: str) -> tuple[np.ndarray, list[str]]:
    """The columns ``spec`` selects (an .npz array name; else names, indices or ranges) as numbers,
    with their labels."""
    if table.arrays is not None:
        key = spec or default_key
        if key not in table.arrays:
            raise ValueError(f"no array {key!r} in the .npz file; arrays: {', '.join(table.arrays)}")
        return table.arrays[key], [key]
    if not spec:
        raise ValueError("--x and --z are required for CSV, Parquet and .npy files")
    columns = parse_columns(spec, table.n_columns, table.names)
    labels = [table.names[j] if table.names else str(j) for j in columns]
    if table.array is not None:
        if columns == list(range(columns[0], columns[-1] + 1)):  # a range: a view, still memory-mapped
            return table.array[:, columns[0] : columns[-1] + 1], labels
        return np.asarray(table.array[:, columns]), labels
    return to_numbers(table, columns), labels


def overlap(table: Table, x_spec: str, z_spec: str) -> list:
    """Columns that --x and --z both select (by name or index; .npz arrays by name)."""
    if table.arrays is not None:
        return [x_spec] if x_spec and x_spec == z_spec else []
    selected = [set(parse_columns(spec, table.n_columns, table.names)) for spec in (x_spec, z_spec)]
    shared = sorted(selected[0] & selected[1])
    return [table.names[i] if table.names else i for i in shared]
