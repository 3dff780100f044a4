//! Typed errors and their HTTP mapping: the only place that knows status
//! codes. Every refusal carries an English message and a Chinese one for the
//! station's window.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yichuang_wire::{ErrorBody, codes};

use crate::now_ms;
use crate::protocol::Refusal;
use crate::storage::{AppendError, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unknown device")]
    UnknownDevice,
    #[error("signature refused: {0}")]
    BadSignature(String),
    #[error("request timestamp is more than the allowed skew away from the server clock")]
    StaleTimestamp,
    #[error("nonce already used")]
    ReplayedNonce,
    #[error("device is revoked")]
    Revoked,
    #[error("client protocol too old; at least version {min} is required")]
    ClientTooOld { min: u32 },
    #[error("request too large: {0}")]
    TooLarge(String),
    #[error("gap: the county expects seq {expected_seq} next")]
    Gap {
        expected_seq: u64,
        head_hash: String,
    },
    #[error("fork at seq {seq}: the station's log differs from the county's copy")]
    Fork {
        seq: u64,
        expected_seq: u64,
        head_hash: String,
    },
    #[error("this device already uploads log {expected}, not {found}")]
    LogMismatch {
        expected: String,
        found: String,
        expected_seq: u64,
        head_hash: String,
    },
    #[error("event seq {seq}: {reason}")]
    ChainInvalid { seq: u64, reason: String },
    #[error("enrolment code unknown, used or expired")]
    BadCode,
    #[error("not found")]
    NotFound,
    #[error("too many requests from this address; try again later")]
    RateLimited,
    #[error("the request took too long")]
    Timeout,
    #[error("internal error")]
    Internal(#[from] StorageError),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            BadRequest(_) => StatusCode::BAD_REQUEST,
            UnknownDevice | BadSignature(_) | StaleTimestamp | ReplayedNonce | BadCode => {
                StatusCode::UNAUTHORIZED
            }
            Revoked => StatusCode::FORBIDDEN,
            ClientTooOld { .. } => StatusCode::UPGRADE_REQUIRED,
            TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Gap { .. } | Fork { .. } | LogMismatch { .. } => StatusCode::CONFLICT,
            ChainInvalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            NotFound => StatusCode::NOT_FOUND,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Timeout => StatusCode::REQUEST_TIMEOUT,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        use ApiError::*;
        let (code, zh) = match self {
            BadRequest(_) => (codes::BAD_REQUEST, "请求格式错误".to_owned()),
            UnknownDevice => (
                codes::UNKNOWN_DEVICE,
                "本设备未在县级服务器登记，请重新注册".into(),
            ),
            BadSignature(_) => (codes::BAD_SIGNATURE, "请求签名验证失败".into()),
            StaleTimestamp => (
                codes::STALE_TIMESTAMP,
                "本机时间与服务器相差过大，请校准时间".into(),
            ),
            ReplayedNonce => (codes::REPLAYED_NONCE, "重复的请求已被拒绝".into()),
            Revoked => (codes::REVOKED, "本设备已被县级管理员停用".into()),
            ClientTooOld { .. } => (codes::CLIENT_TOO_OLD, "客户端版本过旧，请升级".into()),
            TooLarge(_) => (codes::TOO_LARGE, "上传数据过大".into()),
            Gap { expected_seq, .. } => (
                codes::GAP,
                format!("上传记录不连续，服务器期待第 {expected_seq} 条"),
            ),
            Fork { seq, .. } => (
                codes::FORK,
                format!(
                    "第 {seq} 条记录与服务器已存副本不一致（可能从旧备份恢复），请联系县级管理员"
                ),
            ),
            LogMismatch { .. } => (
                codes::LOG_MISMATCH,
                "本设备的数据库与已登记的不一致，请联系县级管理员".into(),
            ),
            ChainInvalid { seq, .. } => (
                codes::CHAIN_INVALID,
                format!("第 {seq} 条记录校验失败（数据可能被篡改）"),
            ),
            BadCode => (codes::BAD_CODE, "注册码无效、已使用或已过期".into()),
            NotFound => (codes::NOT_FOUND, "未找到".into()),
            RateLimited => (codes::RATE_LIMITED, "请求过于频繁，请稍后再试".into()),
            Timeout => (codes::TIMEOUT, "请求超时，请稍后重试".into()),
            Internal(_) => (codes::INTERNAL, "服务器内部错误，请稍后重试".into()),
        };
        let (expected_seq, head_hash, seq) = match self {
            Gap {
                expected_seq,
                head_hash,
            } => (Some(*expected_seq), Some(head_hash.clone()), None),
            Fork {
                seq,
                expected_seq,
                head_hash,
            } => (Some(*expected_seq), Some(head_hash.clone()), Some(*seq)),
            LogMismatch {
                expected_seq,
                head_hash,
                ..
            } => (Some(*expected_seq), Some(head_hash.clone()), None),
            ChainInvalid { seq, .. } => (None, None, Some(*seq)),
            _ => (None, None, None),
        };
        ErrorBody {
            code: code.to_owned(),
            message: self.to_string(),
            message_zh: zh,
            expected_seq,
            head_hash,
            seq,
            server_time_ms: now_ms(),
        }
    }
}

/// Marks an answer that refused someone without a valid device key (an
/// unknown device, a bad signature, a bad enrolment code), for the
/// per-address limits.
#[derive(Debug, Clone, Copy)]
pub struct Anonymous;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            eprintln!("yichuang-county: internal error: {e}");
        }
        let anonymous = matches!(
            self,
            ApiError::UnknownDevice | ApiError::BadSignature(_) | ApiError::BadCode
        );
        let mut r = (self.status(), Json(self.body())).into_response();
        if anonymous {
            r.extensions_mut().insert(Anonymous);
        }
        r
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Malformed(m) => ApiError::BadRequest(m),
            Refusal::TooLarge(m) => ApiError::TooLarge(m),
            Refusal::Revoked => ApiError::Revoked,
            Refusal::BadCode => ApiError::BadCode,
            Refusal::LogMismatch {
                expected,
                found,
                expected_seq,
                head_hash,
            } => ApiError::LogMismatch {
                expected,
                found,
                expected_seq,
                head_hash,
            },
            Refusal::Gap {
                expected_seq,
                head_hash,
            } => ApiError::Gap {
                expected_seq,
                head_hash,
            },
            Refusal::Fork {
                seq,
                expected_seq,
                head_hash,
            } => ApiError::Fork {
                seq,
                expected_seq,
                head_hash,
            },
            Refusal::ChainInvalid { seq, reason } => ApiError::ChainInvalid { seq, reason },
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Refused(r) => r.into(),
            AppendError::Storage(s) => ApiError::Internal(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_storage_failures_keep_their_statuses_and_bodies() {
        let status = |e: ApiError| e.status().as_u16();
        let head_hash = "h".to_owned();
        assert_eq!(status(Refusal::Malformed("x".into()).into()), 400);
        assert_eq!(status(Refusal::BadCode.into()), 401);
        assert_eq!(status(Refusal::Revoked.into()), 403);
        assert_eq!(status(Refusal::TooLarge("x".into()).into()), 413);
        assert_eq!(status(ApiError::ClientTooOld { min: 2 }), 426);
        let conflicts = [
            Refusal::Gap {
                expected_seq: 4,
                head_hash: head_hash.clone(),
            },
            Refusal::Fork {
                seq: 2,
                expected_seq: 4,
                head_hash: head_hash.clone(),
            },
            Refusal::LogMismatch {
                expected: "a".into(),
                found: "b".into(),
                expected_seq: 4,
                head_hash: head_hash.clone(),
            },
        ];
        for r in conflicts {
            let e = ApiError::from(r);
            assert_eq!(e.status().as_u16(), 409);
            let b = e.body();
            assert_eq!(
                (b.expected_seq, b.head_hash.as_deref()),
                (Some(4), Some("h"))
            );
        }
        let chain = ApiError::from(Refusal::ChainInvalid {
            seq: 3,
            reason: "r".into(),
        });
        assert_eq!((chain.status().as_u16(), chain.body().seq), (422, Some(3)));
        let internal = ApiError::from(AppendError::Storage(StorageError::Inconsistent(
            "secret detail".into(),
        )));
        assert_eq!(internal.status().as_u16(), 500);
        assert!(!internal.body().message.contains("secret"));
        assert_eq!(
            ApiError::from(AppendError::Refused(Refusal::Revoked))
                .body()
                .code,
            codes::REVOKED
        );
    }
}

/// A console request refused, or failed in storage: its status and a JSON
/// body `{code, field, message, message_zh}` (the sentence names the field).
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Refused(#[from] crate::console::rules::Refusal),
    #[error("internal error")]
    Internal(#[from] StorageError),
    #[error("export failed: {0}")]
    Export(#[from] rust_xlsxwriter::XlsxError),
}

impl From<crate::console::accounts::AccountError> for ConsoleError {
    fn from(e: crate::console::accounts::AccountError) -> Self {
        match e {
            crate::console::accounts::AccountError::Refused(r) => ConsoleError::Refused(r),
            crate::console::accounts::AccountError::Storage(s) => ConsoleError::Internal(s),
        }
    }
}

impl ConsoleError {
    pub fn status(&self) -> StatusCode {
        use crate::console::rules::Refusal::*;
        match self {
            ConsoleError::Refused(r) => match r {
                Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                BadCredentials | NotLoggedIn => StatusCode::UNAUTHORIZED,
                Locked { .. } => StatusCode::LOCKED,
                Forbidden(_) | Csrf => StatusCode::FORBIDDEN,
                NotFound(_) => StatusCode::NOT_FOUND,
            },
            ConsoleError::Internal(_) | ConsoleError::Export(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn body(&self) -> serde_json::Value {
        use crate::console::rules::Refusal::*;
        let (code, field, zh) = match self {
            ConsoleError::Refused(r) => (
                match r {
                    Invalid { .. } => "invalid",
                    BadCredentials => "bad_credentials",
                    Locked { .. } => "locked",
                    NotLoggedIn => "not_logged_in",
                    Forbidden(_) => "forbidden",
                    Csrf => "csrf",
                    NotFound(_) => "not_found",
                },
                match r {
                    Invalid { field, .. } => Some(*field),
                    _ => None,
                },
                r.message_zh(),
            ),
            ConsoleError::Internal(_) => ("internal", None, "服务器内部错误，请稍后重试".into()),
            ConsoleError::Export(_) => ("internal", None, "表格导出失败，请稍后重试".into()),
        };
        serde_json::json!({
            "code": code,
            "field": field,
            "message": self.to_string(),
            "message_zh": zh,
        })
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match &self {
            ConsoleError::Internal(e) => eprintln!("yichuang-county: console internal error: {e}"),
            ConsoleError::Export(e) => eprintln!("yichuang-county: console export failed: {e}"),
            ConsoleError::Refused(_) => {}
        }
        let anonymous = matches!(
            self,
            ConsoleError::Refused(crate::console::rules::Refusal::BadCredentials)
        );
        let mut r = (self.status(), Json(self.body())).into_response();
        if anonymous {
            r.extensions_mut().insert(Anonymous);
        }
        r
    }
}
