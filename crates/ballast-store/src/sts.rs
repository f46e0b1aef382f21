//! Temporary credentials (STS sessions: a role's, or GetSessionToken's
//! for a user), looked up by access key id on every request signed with
//! them.

use ballast_core::sts::Session;
use ballast_core::sts::session_token::TokenSession;
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A session by its access key id, expired or not.
    pub fn session(&self, access_key_id: &str) -> Result<Option<Session>, StoreError> {
        self.record(
            "SELECT record FROM sts_sessions WHERE access_key_id = ?1",
            [access_key_id],
        )
    }

    /// The session issued last under a session name (an instance id).
    pub fn latest_session(&self, session_name: &str) -> Result<Option<Session>, StoreError> {
        self.record(
            "SELECT record FROM sts_sessions WHERE session_name = ?1
             ORDER BY expires_millis DESC LIMIT 1",
            [session_name],
        )
    }

    /// Records a newly issued session.
    pub fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sts_sessions (access_key_id, session_name, expires_millis, record)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                session.access_key_id,
                session.session_name,
                session.expires_millis,
                serde_json::to_string(session)?
            ],
        )?;
        Ok(())
    }

    /// GetSessionToken's credentials by access key id, expired or not.
    pub fn token_session(&self, access_key_id: &str) -> Result<Option<TokenSession>, StoreError> {
        self.record(
            "SELECT record FROM sts_token_sessions WHERE access_key_id = ?1",
            [access_key_id],
        )
    }

    /// Records credentials GetSessionToken issued.
    pub fn insert_token_session(&self, session: &TokenSession) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO sts_token_sessions (access_key_id, expires_millis, record)
             VALUES (?1, ?2, ?3)",
            params![
                session.access_key_id,
                session.expires_millis,
                serde_json::to_string(session)?
            ],
        )?;
        Ok(())
    }

    /// Forgets sessions (of roles and of users) that expired before
    /// `now_millis`.
    pub fn delete_expired_sessions(&self, now_millis: i64) -> Result<usize, StoreError> {
        let roles = self.execute(
            "DELETE FROM sts_sessions WHERE expires_millis <= ?1",
            params![now_millis],
        )?;
        let users = self.execute(
            "DELETE FROM sts_token_sessions WHERE expires_millis <= ?1",
            params![now_millis],
        )?;
        Ok(roles + users)
    }
}
