//! Raw SQL against a test database, past the storage traits on purpose: to
//! inspect what PostgreSQL holds and to tamper with it (a damaged or
//! restored county). Anything the server itself does goes through the traits.

use super::pg::{block_on, connect};

/// The single `int8` a query returns.
pub fn query_i64(url: &str, sql: &str) -> i64 {
    block_on(async {
        let c = connect(url).await;
        c.query_one(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    })
}

pub fn execute(url: &str, sql: &str) -> u64 {
    block_on(async {
        let c = connect(url).await;
        c.execute(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    })
}

/// Several statements in one go (a bench's fixture).
pub fn batch(url: &str, sql: &str) {
    block_on(async {
        let c = connect(url).await;
        c.batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("fixture: {e}: {:?}", e.as_db_error()))
    })
}

pub fn query_strings(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    block_on(async {
        let c = connect(url).await;
        c.query(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<_, Option<String>>(i))
                    .collect()
            })
            .collect()
    })
}

/// Like [`execute`], but the database's refusal is returned, not a panic.
pub fn try_execute(url: &str, sql: &str) -> Result<u64, String> {
    block_on(async {
        let c = connect(url).await;
        c.execute(sql, &[]).await.map_err(|e| {
            e.as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_owned())
        })
    })
}
