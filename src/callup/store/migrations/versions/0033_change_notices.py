"""PostgreSQL tells the web workers what changed, so that a citizen's reload needs no round trip to the store.

After each statement that adds audit entries, the keys of the people they are about (the first 16 hex
digits of the SHA-256 of the national id: no personal data leaves in the notice) go out on the channel
`callup_changes` as `p key,key,...`; after each statement that ends or deletes signed-in sessions, their
keys (the first 16 hex digits of the record's id) as `s key,...`. A statement about more than 400 people or
100 sessions sends `*` (forget everything); a unit of work inserts its entries 500 a statement
(`audit.chain`). A notice is delivered when its transaction commits, in commit order. The workers' side is `callup.web.session_marks`. SQLite has no such channel: nothing is made there.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 23:00:00.000000
"""

from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

ABOUT = """
CREATE FUNCTION callup_notify_about() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys text[];
BEGIN
    SELECT array_agg(k) INTO keys FROM (
        SELECT DISTINCT left(encode(sha256(convert_to(coalesce(s.national_id, substr(n.target, 8)), 'UTF8')), 'hex'), 16) AS k
          FROM added n LEFT JOIN audit_subjects s ON s.commitment = n.target
         WHERE n.target LIKE 'person:%' OR n.target LIKE 'person#%'
         LIMIT 401) AS about;
    IF keys IS NOT NULL THEN
        PERFORM pg_notify('callup_changes', CASE WHEN cardinality(keys) > 400 THEN '*' ELSE 'p ' || array_to_string(keys, ',') END);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_log_changes AFTER INSERT ON audit_log REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION callup_notify_about();
"""

SESSIONS = """
CREATE FUNCTION callup_notify_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    keys text[];
BEGIN
    SELECT array_agg(left(id, 16)) INTO keys FROM (SELECT id FROM changed LIMIT 101) AS ended;
    IF keys IS NOT NULL THEN
        PERFORM pg_notify('callup_changes', CASE WHEN cardinality(keys) > 100 THEN '*' ELSE 's ' || array_to_string(keys, ',') END);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER web_sessions_ended AFTER UPDATE ON web_sessions REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION callup_notify_sessions();
CREATE TRIGGER web_sessions_deleted AFTER DELETE ON web_sessions REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION callup_notify_sessions();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ABOUT)
        op.execute(SESSIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER web_sessions_deleted ON web_sessions; DROP TRIGGER web_sessions_ended ON web_sessions; "
                   "DROP FUNCTION callup_notify_sessions(); DROP TRIGGER audit_log_changes ON audit_log; "
                   "DROP FUNCTION callup_notify_about();")
