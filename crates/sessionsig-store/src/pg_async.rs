//! The revocation check of a warm request from async code ([`crate::SqlStore::first_revoked_async`]):
//! the same statement as [`crate::pg::Postgres::first_revoked`], sent by the async driver under
//! `postgres` (`tokio-postgres`) on the caller's runtime, so a node's async thread awaits the
//! answer instead of handing the request to a blocking thread and back. One connection, opened
//! on first use and again if it dies; the driver pipelines concurrent queries on it.
//!
//! Measured (`benches/node_overhead.rs` of `sessionsig-node`, 32 connections, one node): a
//! warm `GET /v1/session` on PostgreSQL cost the node 127.5 µs of CPU with this check on the
//! blocking pool through the synchronous driver (a hand-off to a blocking thread and back,
//! and a private runtime polled per query), 74.1 µs with it here.

use crate::pg::db;
use sessionsig::{Error, Result};
use std::sync::{Arc, Mutex, PoisonError};
use tokio_postgres::{Client, NoTls, Statement};

/// Same statement as the synchronous backend's `first_revoked`.
const FIRST_REVOKED: &str = "SELECT q.ord
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(target, issuer, ord)
    WHERE EXISTS (SELECT 1 FROM sessionsig_revocations AS r
                  WHERE r.target = q.target AND r.issuer = q.issuer)
    ORDER BY q.ord LIMIT 1";

struct Conn {
    client: Client,
    first_revoked: Statement,
}

/// Lazily connected async access for the revocation check.
pub(crate) struct AsyncPg {
    config: tokio_postgres::Config,
    schema: Option<String>,
    conn: Mutex<Option<Arc<Conn>>>,
}

impl AsyncPg {
    /// Nothing is connected until the first query.
    pub(crate) fn new(url: &str, schema: Option<String>) -> Result<Self> {
        let mut config: tokio_postgres::Config = url.parse().map_err(db)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("sessionsig-store");
        }
        Ok(AsyncPg {
            config,
            schema,
            conn: Mutex::new(None),
        })
    }

    async fn conn(&self) -> Result<Arc<Conn>> {
        let current = {
            let guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
            guard.clone()
        };
        if let Some(c) = current.filter(|c| !c.client.is_closed()) {
            return Ok(c);
        }
        let (client, connection) = self.config.connect(NoTls).await.map_err(db)?;
        // The connection's I/O runs as a task of the caller's runtime; it ends when the
        // client is dropped or the server goes away.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut setup = String::from("SET default_transaction_isolation = 'read committed';");
        if let Some(s) = &self.schema {
            setup.push_str(&format!(" SET search_path = \"{s}\";"));
        }
        client.batch_execute(&setup).await.map_err(db)?;
        let first_revoked = client.prepare(FIRST_REVOKED).await.map_err(db)?;
        let c = Arc::new(Conn {
            client,
            first_revoked,
        });
        *self.conn.lock().unwrap_or_else(PoisonError::into_inner) = Some(c.clone());
        Ok(c)
    }

    /// Index (0-based) of the first revoked `(target, issuer)` pair; retried once on a fresh
    /// connection when the current one turns out to be dead (a read: idempotent).
    pub(crate) async fn first_revoked(&self, items: &[(String, String)]) -> Result<Option<usize>> {
        let targets: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        let issuers: Vec<&str> = items.iter().map(|(_, i)| i.as_str()).collect();
        let mut retried = false;
        let ord: Option<i64> = loop {
            let c = self.conn().await?;
            match c
                .client
                .query_opt(&c.first_revoked, &[&targets, &issuers])
                .await
            {
                Ok(row) => break row.map(|r| r.try_get(0).map_err(db)).transpose()?,
                Err(_) if !retried && c.client.is_closed() => retried = true,
                Err(e) => return Err(db(e)),
            }
        };
        ord.map(|o| {
            usize::try_from(o - 1).map_err(|_| Error::Store("postgres: bad ordinality".into()))
        })
        .transpose()
    }
}
