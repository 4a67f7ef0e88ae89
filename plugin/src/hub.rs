//! Reading the Hub's API (`HF_ENDPOINT`, else `https://huggingface.co`): one bounded `GET` with
//! the user's token, its failure turned into the error it means. For what the router does not
//! say itself — which upstreams serve a model for a task, which models serve a task.

use std::time::{Duration, Instant};

use openclaw_provider_abi::{ErrorCode, ProviderError};

use crate::{
    environment, errors,
    http::{self, Deadlines},
    runtime,
};

/// Deadlines of one Hub request.
const DEADLINES: Deadlines = Deadlines {
    connect: runtime::DEFAULT_CONNECT_TIMEOUT,
    first_byte: Duration::from_secs(20),
    idle: Duration::from_secs(20),
    overall: Duration::from_secs(30),
};

/// `GET {hub}/api/<path segments>?<query>` as JSON, at most `max_bytes` of it. `doing` and
/// `operation` say what for, in a failure.
pub async fn get(
    path: &[&str],
    query: &[(&str, &str)],
    token: &str,
    max_bytes: u64,
    (doing, operation): (&str, errors::Operation<'_>),
) -> Result<Vec<u8>, ProviderError> {
    let base = http::checked_url(&environment::hub_endpoint())?;
    let mut url = http::endpoint(&base, "api")?;
    {
        let mut segments = url.path_segments_mut().map_err(|()| {
            ProviderError::new(ErrorCode::INVALID_REQUEST, "HF_ENDPOINT cannot take a path")
        })?;
        for segment in path {
            segments.extend(segment.split('/'));
        }
    }
    url.query_pairs_mut().extend_pairs(query);
    let client = runtime::http_client(DEADLINES.connect, &url)?;
    let request = client
        .get(url.clone())
        .bearer_auth(token)
        .header(reqwest::header::USER_AGENT, crate::host_log::user_agent())
        .header(reqwest::header::ACCEPT, "application/json");
    let until = Instant::now() + DEADLINES.overall;
    let response = http::send(request, &DEADLINES, &url, doing).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = http::read_body_capped(response, max_bytes, None, &DEADLINES, until, &url).await?;
    if !status.is_success() {
        return Err(errors::from_response(
            status.as_u16(),
            &headers,
            &body,
            operation,
            Some(token),
        ));
    }
    Ok(body)
}
