"""Numbered forward migrations of the history database.

Each entry upgrades the schema from version N-1 to N. Never edit a migration
that has shipped; add a new one.
"""

MIGRATIONS: list[str] = [
    # 1: conversations and messages
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        system_prompt TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'done'
            CHECK (status IN ('streaming', 'done', 'stopped', 'error', 'interrupted')),
        model TEXT NOT NULL DEFAULT '',
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        ttft_s REAL,
        tokens_per_second REAL,
        error TEXT NOT NULL DEFAULT '',
        writer_pid INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE INDEX conversations_by_update ON conversations(updated_at);
    """,
    # 2: pinning, undoable delete, per-conversation settings, reply branches
    """
    ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN deleted_at TEXT;
    ALTER TABLE conversations ADD COLUMN temperature REAL;
    ALTER TABLE conversations ADD COLUMN top_p REAL;
    ALTER TABLE conversations ADD COLUMN max_tokens INTEGER;
    ALTER TABLE conversations ADD COLUMN leaf_id INTEGER;
    ALTER TABLE messages ADD COLUMN parent_id INTEGER;
    ALTER TABLE messages ADD COLUMN finish_reason TEXT NOT NULL DEFAULT '';
    UPDATE messages SET parent_id = (
        SELECT MAX(p.id) FROM messages p
        WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id
    );
    UPDATE conversations SET leaf_id = (
        SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = conversations.id
    );
    CREATE INDEX messages_by_parent ON messages(parent_id);
    """,
    # 3: full-text search over every message
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END;
    INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
    """,
    # 4: drafts of the writing workspace, with their version history
    """
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        template TEXT NOT NULL DEFAULT '',
        fields TEXT NOT NULL DEFAULT '{}',
        body TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE draft_versions (
        id INTEGER PRIMARY KEY,
        draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
        body TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );
    CREATE INDEX draft_versions_by_draft ON draft_versions(draft_id, id);
    """,
    # 5: the passages a grounded reply drew on (JSON list of {n, file, page, heading, text})
    """
    ALTER TABLE messages ADD COLUMN sources TEXT NOT NULL DEFAULT '';
    """,
    # 6: the libraries a conversation's answers are grounded in (JSON list of names)
    """
    ALTER TABLE conversations ADD COLUMN libraries TEXT NOT NULL DEFAULT '';
    """,
]

LATEST = len(MIGRATIONS)
