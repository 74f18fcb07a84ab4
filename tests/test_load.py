"""Loading pupil files: every problem named by file, row and column; nothing dropped or coerced silently."""

from pathlib import Path

import pandas as pd
import pytest

from toolkit.inputs import PupilDataError, load_pupils

HEADER = "upn,school_id,forename,surname,dob,gender,year_group"
GOOD = [
    "B801200005001,8012000,Ann,Mockford,2015-03-04,F,6",
    "L801200015001,8012000,Bob,Sampleton,01/09/2014,M,R",
]


def write(tmp_path: Path, lines: list[str], name: str = "pupils.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PupilDataError) as err:
        load_pupils(path)
    assert str(path) in str(err.value)
    return [str(p) for p in err.value.problems]


def test_good_file_loads_with_types_and_keeps_extra_columns(tmp_path):
    path = write(
        tmp_path,
        [HEADER + ",fsm6,ks1_reading,ks2_reading,House", GOOD[0] + ",Y,exs,104,Red", GOOD[1] + ",N,GDS,B,Blue"],
    )
    pupils = load_pupils(path)
    assert len(pupils) == 2
    assert pupils["dob"].tolist() == [pd.Timestamp("2015-03-04"), pd.Timestamp("2014-09-01")]
    assert pupils["year_group"].tolist() == [6, 0]
    assert pupils["fsm6"].tolist() == [True, False]
    assert pupils["ks1_reading"].tolist() == ["EXS", "GDS"]
    assert pupils["house"].tolist() == ["Red", "Blue"]  # unknown columns are kept, untouched


def test_headers_are_normalised(tmp_path):
    path = write(tmp_path, ["UPN,School ID,Forename,Surname,DOB,Gender,Year Group", GOOD[0]])
    assert load_pupils(path)["school_id"].iloc[0] == "8012000"


def test_missing_required_columns_with_a_hint(tmp_path):
    path = write(tmp_path, ["upn,school_id,forename,surnme,dob,gender", GOOD[0][:-2]])
    found = problems(path)
    assert any("Required column 'surname' is missing; is 'surnme' meant to be 'surname'?" in p for p in found)
    assert any("Required column 'year_group' is missing" in p for p in found)


def test_malformed_upns_grouped_with_rows(tmp_path):
    path = write(
        tmp_path,
        [
            HEADER,
            GOOD[0],
            "B80120000500,8012000,C,Mockley,2015-01-01,F,6",
            "A801200025001,8012000,D,Mockley,2015-01-01,F,6",
            "B8012000050,8012000,E,Mockley,2015-01-01,F,6",
        ],
    )
    found = problems(path)
    assert any(p.startswith("UPN must be 13 characters long. Column: upn. Rows: 3, 5") for p in found), found
    assert any(p.startswith("Wrong check letter: the UPN was probably mistyped. Column: upn. Row: 4") for p in found)
    # raised on a Dask worker, the error reaches the command whole (pickled there, rebuilt here)
    import pickle

    with pytest.raises(PupilDataError) as raised:
        load_pupils(path)
    again = pickle.loads(pickle.dumps(raised.value))
    assert str(again) == str(raised.value) and again.path == path and again.problems == raised.value.problems


def test_unknown_codes_impossible_dates_and_blanks(tmp_path):
    path = write(
        tmp_path,
        [
            HEADER + ",ks1_maths,ks2_writing,sen",
            GOOD[0] + ",XYZ,EXS,N",
            "L801200015001,8012000,Bob,,2015-02-30,Q,6,EXS,WOW,Z",
        ],
    )
    found = problems(path)
    assert "Unknown KS1 maths code. Column: ks1_maths. Row: 2 (found 'XYZ')" in found
    assert "Unknown KS2 writing code. Column: ks2_writing. Row: 3 (found 'WOW')" in found
    assert "Surname must have a value. Column: surname. Row: 3" in found
    assert any(p.startswith("Date of birth must be a real date") and "Row: 3" in p for p in found)
    assert "Gender must be F or M. Column: gender. Row: 3 (found 'Q')" in found
    assert "SEN must be N, K or E. Column: sen. Row: 3 (found 'Z')" in found


def test_duplicate_pupil_and_pupil_in_two_schools(tmp_path):
    dup = write(tmp_path, [HEADER, GOOD[0], GOOD[1], GOOD[0]], "dup.csv")
    assert problems(dup) == [
        "Pupil B801200005001 appears more than once: each pupil must have one row. Column: upn. Rows: 2, 4"
    ]
    two = write(tmp_path, [HEADER, GOOD[0], GOOD[0].replace("8012000,Ann", "8012001,Ann")], "two.csv")
    assert problems(two) == [
        "Pupil B801200005001 is in two schools (8012000, 8012001); a pupil belongs to one "
        "school in a file. Column: upn. Rows: 2, 3"
    ]


def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert problems(empty) == ["The file is empty: it has no header row and no pupils."]
    header_only = write(tmp_path, [HEADER], "header.csv")
    assert problems(header_only) == ["The file has a header row but no pupils."]


def test_duplicate_headers(tmp_path):
    path = write(tmp_path, [HEADER + ",gender", GOOD[0] + ",F"])
    assert problems(path) == ["Column 'gender' appears 2 times: keep one. Column: gender."]


def test_scaled_score_out_of_range(tmp_path):
    path = write(tmp_path, [HEADER + ",ks2_maths", GOOD[0] + ",121", GOOD[1] + ",99.5"])
    found = problems(path)
    assert found == [
        "KS2 maths must be a scaled score from 80 to 120 or a KS2 result code. Column: ks2_maths. "
        "Rows: 2, 3 (found '121', '99.5')"
    ]


def test_xlsx_with_real_dates(tmp_path):
    frame = pd.DataFrame([dict(zip(HEADER.split(","), GOOD[0].split(",")))])
    frame["dob"] = pd.Timestamp("2015-03-04")  # a date cell, as Excel stores it
    path = tmp_path / "pupils.xlsx"
    frame.to_excel(path, index=False)
    assert load_pupils(path)["dob"].iloc[0] == pd.Timestamp("2015-03-04")


def test_unsupported_type_and_missing_file(tmp_path):
    txt = tmp_path / "pupils.txt"
    txt.write_text(HEADER)
    assert problems(txt) == ["Unsupported file type '.txt': use .csv, .xlsx or .parquet."]
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_pupils(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n",
        "a,b\n\n1,2\n\n\n",  # blank lines keep their rows
        "a,b\n1\n",  # a short row is padded
        "a,b\n1,2,3\n",  # a wide row (pandas refuses it; the csv module reads it)
        "\na,b\n1,2",  # a blank first line
        'a,b\n"x\ny",2\r\n3,4\r\n',  # a quoted line break, Windows line ends
        'a,b\n"1,5",2\n"x""y",3\n',  # quoted separators and quotes
        'a,b\nab"c,d\n  ,\nNA,null\n#x,1\n',  # nothing is read as missing, a comment or a quote
        'a,b\n1,"2\n',  # an unclosed quote
    ],
)
def test_csv_cells_are_the_csv_modules(text):
    """The fast reader (pandas' C parser) gives the cells the csv module gives, blank lines and short rows
    included."""
    import csv
    import io

    from toolkit.inputs.files import _grid

    rows = list(csv.reader(io.StringIO(text, newline="")))
    width = max(len(r) for r in rows)
    assert _grid(text, ",").to_numpy().tolist() == [r + [""] * (width - len(r)) for r in rows]


def test_schools_csv_goes_through_the_input_rules(tmp_path):
    """schools.csv is read like every input table: a semicolon-separated export reads; a repeated or malformed
    school_id is a sentence naming file, column and row; other columns are typed as the whole column allows."""
    from toolkit.inputs import PupilDataError
    from toolkit.inputs.schools import load_schools

    path = tmp_path / "schools.csv"
    path.write_text(
        "school_id;school_name;la;synthetic;intake\n9252000;Oakfield;925;True;0.25\n9252001;Willow;925;False;\n"
    )
    schools = load_schools(path)
    assert list(schools["school_id"]) == ["9252000", "9252001"]
    assert schools["la"].tolist() == [925, 925] and schools["synthetic"].tolist() == [True, False]
    assert schools["intake"].iloc[0] == 0.25 and pd.isna(schools["intake"].iloc[1])
    path.write_text("school_id,school_name\n9252000,Oakfield\n92520X1,Willow\n9252000,Again\n")
    with pytest.raises(PupilDataError) as err:
        load_schools(path)
    said = str(err.value)
    assert "school_id must be a 7-digit DfE number (it names each school's folder). Column: school_id. Row: 3" in said
    assert "School 9252000 is listed twice" in said and "Rows: 2, 4" in said
    path.write_text("name\nOakfield\n")
    with pytest.raises(PupilDataError, match="Required column 'school_id' is missing"):
        load_schools(path)


def test_a_dfe_number_written_with_a_slash_is_read_as_seven_digits(tmp_path, capsys):
    """925/2005 passed check but its pupils belonged to no school of schools.csv (9252005): every loader now reads
    it as 9252005, with a notice naming the rows."""
    from toolkit.cli import main
    from toolkit.inputs.schools import load_schools

    path = tmp_path / "pupils.csv"
    path.write_text(
        "upn,school_id,forename,surname,dob,gender,year_group\n"
        "B801200005001,925/2005,Ann,Mockford,2015-03-04,F,6\nK801200105001,925-2005,Dee,Fakely,2015-03-04,F,6\n"
    )
    pupils = load_pupils(path)
    assert list(pupils["school_id"]) == ["9252005", "9252005"]
    assert any("read as 7 digits (9252005) (rows 2, 3)" in n for n in pupils.attrs["notices"])
    assert main(["check", str(path)]) == 0 and "read as 7 digits" in capsys.readouterr().out
    (tmp_path / "schools.csv").write_text("school_id,name\n925 2005,A school\n")
    assert list(load_schools(tmp_path / "schools.csv")["school_id"]) == ["9252005"]


def test_excel_error_cells_are_refused_by_row(tmp_path):
    """#N/A in a KS1 column was read as a blank result and the pupil lost their prior attainment."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["upn", "school_id", "forename", "surname", "dob", "gender", "year_group", "ks1_reading"])
    sheet.append(["B801200005001", "8012000", "Ann", "Mockford", "2015-03-04", "F", "6", "EXS"])
    sheet.append(["K801200105001", "8012000", "Dee", "Fakely", "2015-03-04", "F", "6", "#N/A"])
    sheet["H3"].data_type = "e"
    book.save(tmp_path / "pupils.xlsx")
    with pytest.raises(PupilDataError) as err:
        load_pupils(tmp_path / "pupils.xlsx")
    said = str(err.value)
    assert "Cells hold Excel errors (such as #N/A or #VALUE!)" in said and "Row: 3" in said and "row 3: #N/A" in said


def test_a_hidden_sheet_is_not_read_in_place_of_the_visible_one(tmp_path):
    """A hidden first sheet (last year's 1 pupil) was read instead of this year's visible sheet (2 pupils)."""
    from openpyxl import Workbook

    header = ["upn", "school_id", "forename", "surname", "dob", "gender", "year_group"]
    book = Workbook()
    last_year = book.active
    last_year.title = "2025"
    last_year.append(header)
    last_year.append(["B801200005001", "8012000", "Old", "Pupil", "2014-03-04", "F", "6"])
    last_year.sheet_state = "hidden"
    this_year = book.create_sheet("2026")
    this_year.append(header)
    this_year.append(["B801200005001", "8012000", "Ann", "Mockford", "2015-03-04", "F", "6"])
    this_year.append(["K801200105001", "8012000", "Dee", "Fakely", "2015-03-04", "F", "6"])
    book.save(tmp_path / "pupils.xlsx")
    pupils = load_pupils(tmp_path / "pupils.xlsx")
    assert list(pupils["forename"]) == ["Ann", "Dee"]
    assert any("hidden sheet '2025' not read" in n for n in pupils.attrs["notices"])


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(tmp_path, encoding):
    """It was called "a binary file"."""
    path = tmp_path / "pupils.csv"
    text = "upn,school_id,forename,surname,dob,gender,year_group\nB801200005001,8012000,Zoë,Mockford,2015-03-04,F,6\n"
    path.write_bytes(text.encode(encoding))
    pupils = load_pupils(path)
    assert list(pupils["forename"]) == ["Zoë"]
    assert pupils.attrs["notices"] == [f"read as UTF-16 text without a byte-order mark ({encoding})"]
