import json
import pathlib

import typer
from typer.testing import CliRunner

from callup.lottery import commands
from callup.lottery.pool import write_pool

EXAMPLE_1969 = pathlib.Path(__file__).resolve().parents[2] / "examples" / "draws" / "us-1969-draft-lottery.csv"

app = typer.Typer()
app.add_typer(commands.app, name="lottery")
app.command("verify")(commands.verify)
app.command("fairness")(commands.fairness)
runner = CliRunner()


def publish(drawn, tmp_path):
    pool, _, _, _, record = drawn
    (tmp_path / "record.json").write_text(record.to_json())
    write_pool(pool, tmp_path / "pool.parquet")
    return tmp_path / "record.json", tmp_path / "pool.parquet"


def test_verify_says_match_for_an_honest_record(drawn, tmp_path):
    record, pool = publish(drawn, tmp_path)
    out = runner.invoke(app, ["verify", str(record), str(pool), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["verdict"] == "MATCH"


def test_verify_exits_non_zero_and_names_the_region_of_a_tampered_record(drawn, tmp_path):
    record, pool = publish(drawn, tmp_path)
    data = json.loads(record.read_text())
    data["regions"]["East"]["called_pseudonyms"][0] = "0" * 32
    record.write_text(json.dumps(data))
    out = runner.invoke(app, ["verify", str(record), str(pool)])
    assert out.exit_code == 1
    assert "region East" in out.output and "0" * 32 in out.output and "MISMATCH" in out.output


def test_rank_from_the_record_and_pool_matches_the_draw(drawn, tmp_path):
    record, pool = publish(drawn, tmp_path)
    table, _, _, result, rec = drawn
    row = int(result.called_rows("South")[3])
    pseud = table.column("pseudonym")[row].as_py().hex()
    out = runner.invoke(app, ["lottery", "rank", pseud, "--record", str(record), "--pool", str(pool), "--json"])
    data = json.loads(out.output)
    assert data["called"] and data["region"] == "South" and data["rank"] == result.rank[row] and data["call_position"] == 4


def test_rank_of_a_reserve_person_gives_the_reserve_place(drawn, tmp_path):
    record, pool = publish(drawn, tmp_path)
    table, _, _, result, _ = drawn
    row = int(result.reserve_rows("North")[2])
    out = runner.invoke(app, ["lottery", "rank", table.column("pseudonym")[row].as_py().hex(), "--record", str(record), "--pool", str(pool), "--json"])
    data = json.loads(out.output)
    assert not data["called"] and data["reserve_position"] == 3 and data["call_position"] == result.position[row]


def test_rank_from_the_record_alone_tells_a_called_person(drawn, tmp_path):
    record, _ = publish(drawn, tmp_path)
    pseud = drawn[4].regions["North"].called_pseudonyms[0]
    out = runner.invoke(app, ["lottery", "rank", pseud, "--record", str(record)])
    assert out.exit_code == 0 and "called" in out.output


def test_fairness_flags_the_1969_draft_lottery_and_writes_a_plot(tmp_path):
    png = tmp_path / "plot.png"
    out = runner.invoke(app, ["fairness", str(EXAMPLE_1969), "--date-col", "birthday", "--number-col", "draft_number", "--out", str(png), "--json"])
    data = json.loads(out.output)
    assert data["flagged"] and png.stat().st_size > 1000


def test_fairness_with_an_unknown_column_is_an_input_error():
    out = runner.invoke(app, ["fairness", str(EXAMPLE_1969), "--date-col", "dob", "--number-col", "draft_number"])
    assert out.exit_code != 0 and "dob" in str(out.exception)
