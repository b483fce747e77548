"""The store's DDL, rendered from console.core.schema: do not edit (regenerate with
``python -m console.core.schema``)."""

DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS events (\n\tseq INTEGER NOT NULL, \n\tid TEXT NOT NULL, \n\tts_ms BIGINT NOT NULL, \n\ttype TEXT NOT NULL, \n\tconversation_id TEXT, \n\tbody BLOB NOT NULL, \n\tPRIMARY KEY (seq), \n\tUNIQUE (id)\n)",
        "CREATE INDEX IF NOT EXISTS ix_events_conv ON events (conversation_id)",
        "CREATE INDEX IF NOT EXISTS ix_events_ops ON events (ts_ms) WHERE type IN ('deploy', 'control')",
        'CREATE TABLE IF NOT EXISTS findings (\n\tseq INTEGER NOT NULL, \n\tevent_id TEXT NOT NULL, \n\tevent_type TEXT NOT NULL, \n\tconversation_id TEXT, \n\tcategory TEXT NOT NULL, \n\ttype TEXT NOT NULL, \n\tfield TEXT NOT NULL, \n\tstart INTEGER NOT NULL, \n\t"end" INTEGER NOT NULL, \n\tvalue_hash TEXT, \n\tdetail TEXT NOT NULL, \n\tPRIMARY KEY (seq)\n)',
        "CREATE INDEX IF NOT EXISTS ix_findings_conv ON findings (conversation_id)",
        "CREATE TABLE IF NOT EXISTS conversations (\n\tconversation_id TEXT NOT NULL, \n\tcustomer_id TEXT, \n\tdeployment TEXT, \n\tmodel_version TEXT, \n\tchannel TEXT, \n\tstarted_ms BIGINT NOT NULL, \n\tlast_ms BIGINT NOT NULL, \n\tturns INTEGER NOT NULL, \n\tevents INTEGER NOT NULL, \n\tflags INTEGER NOT NULL, \n\tfeedback TEXT, \n\tresolved BOOLEAN, \n\tmodel_calls INTEGER NOT NULL, \n\tmodel_errors INTEGER NOT NULL, \n\ttool_calls INTEGER NOT NULL, \n\ttool_unauthorized INTEGER NOT NULL, \n\tassistant_messages INTEGER NOT NULL, \n\tungrounded INTEGER NOT NULL, \n\tPRIMARY KEY (conversation_id)\n)",
        "CREATE INDEX IF NOT EXISTS ix_conv_dep_started ON conversations (deployment, started_ms)",
        "CREATE INDEX IF NOT EXISTS ix_conv_started ON conversations (started_ms)",
        "CREATE TABLE IF NOT EXISTS latency_rollup (\n\tslot_ms BIGINT NOT NULL, \n\tdeployment TEXT NOT NULL, \n\tmodel_version TEXT NOT NULL, \n\tbucket INTEGER NOT NULL, \n\tcalls BIGINT NOT NULL, \n\tPRIMARY KEY (slot_ms, deployment, model_version, bucket)\n)",
        'CREATE TABLE IF NOT EXISTS ingest_offsets (\n\tpath TEXT NOT NULL, \n\t"offset" BIGINT NOT NULL, \n\tline BIGINT NOT NULL, \n\tfingerprint TEXT NOT NULL, \n\tgeneration INTEGER NOT NULL, \n\tPRIMARY KEY (path)\n)',
        "CREATE TABLE IF NOT EXISTS rejects (\n\tpath TEXT NOT NULL, \n\tgeneration INTEGER NOT NULL, \n\tline BIGINT NOT NULL, \n\treason TEXT NOT NULL, \n\tPRIMARY KEY (path, generation, line)\n)",
        "CREATE TABLE IF NOT EXISTS operator_log (\n\tseq INTEGER NOT NULL, \n\tts_ms BIGINT NOT NULL, \n\toperator TEXT NOT NULL, \n\taction TEXT NOT NULL, \n\ttarget TEXT NOT NULL, \n\tdetail TEXT NOT NULL, \n\tPRIMARY KEY (seq)\n)",
        'CREATE TABLE IF NOT EXISTS meta (\n\t"key" TEXT NOT NULL, \n\tvalue TEXT NOT NULL, \n\tPRIMARY KEY ("key")\n)',
    ),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS events (\n\tseq BIGSERIAL NOT NULL, \n\tid TEXT NOT NULL, \n\tts_ms BIGINT NOT NULL, \n\ttype TEXT NOT NULL, \n\tconversation_id TEXT, \n\tbody BYTEA NOT NULL, \n\tPRIMARY KEY (seq), \n\tUNIQUE (id)\n)",
        "CREATE INDEX IF NOT EXISTS ix_events_conv ON events (conversation_id)",
        "CREATE INDEX IF NOT EXISTS ix_events_ops ON events (ts_ms) WHERE type IN ('deploy', 'control')",
        'CREATE TABLE IF NOT EXISTS findings (\n\tseq SERIAL NOT NULL, \n\tevent_id TEXT NOT NULL, \n\tevent_type TEXT NOT NULL, \n\tconversation_id TEXT, \n\tcategory TEXT NOT NULL, \n\ttype TEXT NOT NULL, \n\tfield TEXT NOT NULL, \n\tstart INTEGER NOT NULL, \n\t"end" INTEGER NOT NULL, \n\tvalue_hash TEXT, \n\tdetail TEXT NOT NULL, \n\tPRIMARY KEY (seq)\n)',
        "CREATE INDEX IF NOT EXISTS ix_findings_conv ON findings (conversation_id)",
        "CREATE TABLE IF NOT EXISTS conversations (\n\tconversation_id TEXT NOT NULL, \n\tcustomer_id TEXT, \n\tdeployment TEXT, \n\tmodel_version TEXT, \n\tchannel TEXT, \n\tstarted_ms BIGINT NOT NULL, \n\tlast_ms BIGINT NOT NULL, \n\tturns INTEGER NOT NULL, \n\tevents INTEGER NOT NULL, \n\tflags INTEGER NOT NULL, \n\tfeedback TEXT, \n\tresolved BOOLEAN, \n\tmodel_calls INTEGER NOT NULL, \n\tmodel_errors INTEGER NOT NULL, \n\ttool_calls INTEGER NOT NULL, \n\ttool_unauthorized INTEGER NOT NULL, \n\tassistant_messages INTEGER NOT NULL, \n\tungrounded INTEGER NOT NULL, \n\tPRIMARY KEY (conversation_id)\n)",
        "CREATE INDEX IF NOT EXISTS ix_conv_dep_started ON conversations (deployment, started_ms)",
        "CREATE INDEX IF NOT EXISTS ix_conv_started ON conversations (started_ms)",
        "CREATE TABLE IF NOT EXISTS latency_rollup (\n\tslot_ms BIGINT NOT NULL, \n\tdeployment TEXT NOT NULL, \n\tmodel_version TEXT NOT NULL, \n\tbucket INTEGER NOT NULL, \n\tcalls BIGINT NOT NULL, \n\tPRIMARY KEY (slot_ms, deployment, model_version, bucket)\n)",
        'CREATE TABLE IF NOT EXISTS ingest_offsets (\n\tpath TEXT NOT NULL, \n\t"offset" BIGINT NOT NULL, \n\tline BIGINT NOT NULL, \n\tfingerprint TEXT NOT NULL, \n\tgeneration INTEGER NOT NULL, \n\tPRIMARY KEY (path)\n)',
        "CREATE TABLE IF NOT EXISTS rejects (\n\tpath TEXT NOT NULL, \n\tgeneration INTEGER NOT NULL, \n\tline BIGINT NOT NULL, \n\treason TEXT NOT NULL, \n\tPRIMARY KEY (path, generation, line)\n)",
        "CREATE TABLE IF NOT EXISTS operator_log (\n\tseq SERIAL NOT NULL, \n\tts_ms BIGINT NOT NULL, \n\toperator TEXT NOT NULL, \n\taction TEXT NOT NULL, \n\ttarget TEXT NOT NULL, \n\tdetail TEXT NOT NULL, \n\tPRIMARY KEY (seq)\n)",
        "CREATE TABLE IF NOT EXISTS meta (\n\tkey TEXT NOT NULL, \n\tvalue TEXT NOT NULL, \n\tPRIMARY KEY (key)\n)",
    ),
}
