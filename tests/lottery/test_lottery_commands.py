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


def publish2(drawn2, tmp_path):
    pool, commitment, _, _, record = drawn2
    (tmp_path / "record.json").write_text(record.to_json())
    write_pool(pool, tmp_path / "pool.csv")
    return tmp_path / "record.json", tmp_path / "pool.csv", commitment.digest


def test_verify_with_the_announced_hash_prints_the_round_time_and_what_it_cannot_rule_out(drawn2, tmp_path):
    record, pool, digest = publish2(drawn2, tmp_path)
    policy = tmp_path / "policy.yaml"
    from lottery_support import POLICY_FILE

    policy.write_bytes(POLICY_FILE)
    out = runner.invoke(app, ["verify", str(record), str(pool), "--announced", digest, "--policy", str(policy)], terminal_width=250)
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "2023-08-23T15:59:00Z" in text and "2023-08-23T12:05:00Z" in text and "MATCH" in text
    assert "cannot rule out" in text and "callup lottery rank PSEUDONYM" in text and "a person left out" in text.lower()
    assert "a beacon value chosen by the office" in text  # what the signature check rules out
    out = runner.invoke(app, ["verify", str(record), str(pool), "--announced", "0" * 64, "--json"])
    data = json.loads(out.output)
    assert out.exit_code == 1 and [c["name"] for c in data["checks"] if not c["ok"]] == ["announced commitment"]


def test_verify_catches_a_forged_drand_signature_in_a_record(drawn2, tmp_path):
    record, pool, digest = publish2(drawn2, tmp_path)
    data = json.loads(record.read_text())
    sig = bytearray.fromhex(data["beacon"]["signature"])
    sig[-1] ^= 0x40
    data["beacon"]["signature"] = sig.hex()
    record.write_text(json.dumps(data))
    out = runner.invoke(app, ["verify", str(record), str(pool), "--announced", digest, "--json"])
    result = json.loads(out.output)
    assert out.exit_code == 1 and "beacon" in [c["name"] for c in result["checks"] if not c["ok"]]


def test_rank_says_plainly_when_a_pseudonym_is_not_in_the_pool(drawn2, tmp_path):
    record, pool, _ = publish2(drawn2, tmp_path)
    out = runner.invoke(app, ["lottery", "rank", "ab" * 16, "--record", str(record), "--pool", str(pool)], terminal_width=200)
    assert out.exit_code == 0 and "NOT in the pool file" in out.output
    data = json.loads(runner.invoke(app, ["lottery", "rank", "ab" * 16, "--record", str(record), "--pool", str(pool), "--json"]).output)
    assert data["in_pool"] is False and data["rank"] is None


def test_rank_of_a_member_of_the_pool_confirms_region_and_volunteer_flag(drawn2, tmp_path):
    record, pool, _ = publish2(drawn2, tmp_path)
    table, _, _, result, _ = drawn2
    row = int(result.call_rows("East")[0])
    out = runner.invoke(app, ["lottery", "rank", table.column("pseudonym")[row].as_py().hex().upper(), "--record", str(record),
                              "--pool", str(pool), "--json"])
    data = json.loads(out.output)
    assert data["in_pool"] and data["region"] == "East" and data["volunteer"] == table.column("volunteer")[row].as_py()
    assert data["called"] and data["call_position"] == 1


def test_a_malformed_pseudonym_is_an_input_error_that_does_not_echo_it(drawn2, tmp_path):
    from callup.errors import InputError

    record, _, _ = publish2(drawn2, tmp_path)
    out = runner.invoke(app, ["lottery", "rank", "ID-12345-secret", "--record", str(record)])
    assert isinstance(out.exception, InputError) and out.exception.field == "pseudonym"
    assert "12345" not in str(out.exception)


def test_the_lottery_commands_module_does_not_reach_for_the_store():
    import ast

    tree = ast.parse(pathlib.Path(commands.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in imported if m.startswith(("sqlalchemy", "callup.store", "callup.campaigns"))}


def test_a_pseudonym_is_accepted_as_the_letter_prints_it_in_groups():
    from callup.lottery.lookup import parse_pseudonym

    plain = "dabd4d27" * 4
    assert parse_pseudonym(" ".join(plain[i:i + 4] for i in range(0, 32, 4)).upper()) == bytes.fromhex(plain)
