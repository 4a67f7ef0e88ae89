//! What a successful answer says it is, checked before its body is read: its `Content-Type`
//! (an event stream, a JSON document, or something else — an HTML page from a portal or a
//! misconfigured base URL) and its `Content-Encoding` (the plugin asks for none and can read
//! none, so a compressed body is refused by name rather than parsed as noise). Header values are
//! outside text: they reach messages only through [`crate::outside_text::quote`].

use openclaw_provider_abi::{ErrorCode, ProviderError};
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap};

use crate::outside_text::quote;

/// What a successful answer's `Content-Type` says it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `text/event-stream`.
    EventStream,
    /// `application/json` or a `+json` type.
    Json,
    /// Anything else, as it was named (quoted), or `None` when there was no `Content-Type`.
    Other(Option<String>),
}

/// The kind of body the headers announce.
pub fn kind(headers: &HeaderMap) -> Kind {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Kind::Other(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "text/event-stream" {
        Kind::EventStream
    } else if essence == "application/json" || essence.ends_with("+json") {
        Kind::Json
    } else {
        Kind::Other(Some(quote(&text, None)))
    }
}

/// The `Content-Encoding` of a body, when it is one that changes the bytes (anything but
/// `identity`), quoted for a message.
pub fn encoding(headers: &HeaderMap) -> Option<String> {
    let mut named = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        named.extend(
            text.split(',')
                .map(str::trim)
                .filter(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"))
                .map(str::to_owned),
        );
    }
    (!named.is_empty()).then(|| quote(&named.join(", "), None))
}

/// Refuses a body in an encoding the plugin did not ask for and cannot read.
pub fn check_encoding(headers: &HeaderMap) -> Result<(), ProviderError> {
    match encoding(headers) {
        None => Ok(()),
        Some(coding) => Err(ProviderError::new(
            ErrorCode::INVALID_RESPONSE,
            format!(
                "the service sent its answer with Content-Encoding {coding}, which the plugin \
                 did not ask for and cannot read; a proxy between here and the router may have \
                 compressed it"
            ),
        )),
    }
}

/// The error for a stream request answered with something that is neither an event stream nor
/// a JSON chat completion.
pub fn not_a_stream(named: Option<&str>, origin: &str) -> ProviderError {
    let what = named.map_or_else(
        || "no Content-Type".to_owned(),
        |t| format!("Content-Type {t}"),
    );
    ProviderError::new(
        ErrorCode::INVALID_RESPONSE,
        format!(
            "{origin} answered the stream request with {what} instead of an event stream \
             (text/event-stream); check that models.providers.huggingface.baseUrl points at the \
             router, not a web page or a proxy's login page"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn content_types_are_told_apart() {
        let kind_of = |value: &[u8]| kind(&headers(&[("content-type", value)]));
        assert_eq!(kind_of(b"text/event-stream"), Kind::EventStream);
        assert_eq!(
            kind_of(b"Text/Event-Stream; charset=utf-8"),
            Kind::EventStream
        );
        assert_eq!(kind_of(b"application/json"), Kind::Json);
        assert_eq!(kind_of(b"application/problem+json"), Kind::Json);
        assert_eq!(
            kind_of(b"text/html; charset=UTF-8"),
            Kind::Other(Some("text/html; charset=UTF-8".into()))
        );
        assert_eq!(kind(&HeaderMap::new()), Kind::Other(None));
        // Bytes outside ASCII are shown, not trusted.
        let Kind::Other(Some(named)) = kind_of(b"text/\xffhtml\t") else {
            panic!("not other")
        };
        assert!(!named.chars().any(char::is_control), "{named:?}");
    }

    #[test]
    fn only_real_encodings_are_refused() {
        assert!(check_encoding(&HeaderMap::new()).is_ok());
        assert!(check_encoding(&headers(&[("content-encoding", b"identity")])).is_ok());
        let error = check_encoding(&headers(&[("content-encoding", b"br")])).unwrap_err();
        assert_eq!(error.code, ErrorCode::INVALID_RESPONSE);
        assert!(
            error.message.contains("Content-Encoding br"),
            "{}",
            error.message
        );
        assert_eq!(
            encoding(&headers(&[
                ("content-encoding", b"gzip"),
                ("content-encoding", b"identity, x-custom")
            ]))
            .as_deref(),
            Some("gzip, x-custom")
        );
    }
}
