-- Per-service PostgreSQL roles with only the rights each service needs.
-- Run once as a superuser (or a role with CREATEROLE) before the first `tagen migrate`;
-- re-running it is harmless. Replace the passwords (or use your secret manager's roles), then
-- put one URL per role in the tagen-database Secret:
--   owner-url       postgresql+asyncpg://tagen_owner:...@host:5432/tagen      (migrations)
--   identity-url    postgresql+asyncpg://tagen_identity:...@host:5432/tagen   (and so on)
-- The owner creates the schemas and tables (migrations); each service role reads and writes
-- the tables of its own schema only, including tables later migrations add (default
-- privileges). The audit service writes audit_logs only through tagen_audit_writer (created by
-- the audit migration: SELECT and INSERT, never UPDATE or DELETE).

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['tagen_owner', 'tagen_identity', 'tagen_requests',
                                'tagen_validation', 'tagen_knowledge', 'tagen_audit'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = name) THEN
            EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', name, 'change-me-' || name);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tagen_audit_writer') THEN
        CREATE ROLE tagen_audit_writer NOLOGIN;
    END IF;
END
$$;

-- The owner creates the schemas (migrations do too, IF NOT EXISTS) and may create roles'
-- memberships the audit migration needs.
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO tagen_owner', current_database()); END $$;
GRANT tagen_audit_writer TO tagen_owner WITH ADMIN OPTION;
CREATE SCHEMA IF NOT EXISTS identity AUTHORIZATION tagen_owner;
CREATE SCHEMA IF NOT EXISTS requests AUTHORIZATION tagen_owner;
CREATE SCHEMA IF NOT EXISTS validation AUTHORIZATION tagen_owner;
CREATE SCHEMA IF NOT EXISTS knowledge AUTHORIZATION tagen_owner;
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION tagen_owner;

-- Each context's service: its own schema, data only (no DDL), tables of later migrations too.
DO $$
DECLARE
    context text;
BEGIN
    FOREACH context IN ARRAY ARRAY['identity', 'requests', 'validation', 'knowledge'] LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', context, 'tagen_' || context);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',
                       context, 'tagen_' || context);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE tagen_owner IN SCHEMA %I '
                       'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
                       context, 'tagen_' || context);
    END LOOP;
END
$$;

-- Sequences (identity columns use them implicitly through INSERT; explicit ones need USAGE).
ALTER DEFAULT PRIVILEGES FOR ROLE tagen_owner
    GRANT USAGE, SELECT ON SEQUENCES TO tagen_identity, tagen_requests, tagen_validation,
                                        tagen_knowledge;

-- Audit: the service connects as tagen_audit and runs SET ROLE tagen_audit_writer on every
-- connection; the audit migration grants that role SELECT and INSERT on audit.audit_logs.
GRANT USAGE ON SCHEMA audit TO tagen_audit;
GRANT tagen_audit_writer TO tagen_audit;
