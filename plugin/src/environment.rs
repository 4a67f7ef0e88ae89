//! What the process environment says about the network: offline mode (`HF_HUB_OFFLINE`, or
//! `TRANSFORMERS_OFFLINE`, as the Hugging Face clients read them) and the Hub endpoint
//! (`HF_ENDPOINT`) used for token validation. The host completes the environment (its `.env`,
//! the login shell) before calling the plugin.

/// The Hub when `HF_ENDPOINT` is unset.
pub const DEFAULT_HUB_ENDPOINT: &str = "https://huggingface.co";

/// The variable that switched offline mode on, if any.
pub fn offline_switch() -> Option<&'static str> {
    ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"]
        .into_iter()
        .find(|name| std::env::var(name).is_ok_and(|value| is_truthy(&value)))
}

/// The Hub base URL (`HF_ENDPOINT`, else `https://huggingface.co`).
pub fn hub_endpoint() -> String {
    std::env::var("HF_ENDPOINT")
        .ok()
        .map(|value| value.trim().trim_end_matches('/').to_owned())
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| DEFAULT_HUB_ENDPOINT.to_owned())
}

/// `1`, `ON`, `YES`, `TRUE` in any case, as huggingface_hub reads its boolean variables.
pub fn is_truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_uppercase().as_str(),
        "1" | "ON" | "YES" | "TRUE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthy_values() {
        for yes in ["1", "on", "Yes", " TRUE "] {
            assert!(is_truthy(yes), "{yes}");
        }
        for no in ["0", "", "off", "no", "false", "2"] {
            assert!(!is_truthy(no), "{no}");
        }
    }
}
