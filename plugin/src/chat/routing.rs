//! Capability-aware routing. The router's default policy picks the fastest upstream of a model,
//! which may be one that refuses `tools` or `response_format` (HTTP 400
//! `UNSUPPORTED_OPENAI_PARAMS`); users then pin another upstream by hand. When a request needs
//! tools or structured output, names no policy or upstream, and catalog data shows that some of
//! the model's live upstreams lack the capability, the request is sent pinned
//! (`model:<upstream>`) to the best upstream that has it — by the configured policy, the fastest
//! unless set otherwise — with a notice naming it. A ref with a suffix is never changed;
//! nothing changes when every upstream is capable, when none is, or when there is no data.
//!
//! The data: the model's upstreams the host passed for this call ([`HostUpstreams`]; a host
//! that passes them speaks for the model, an empty list meaning it knows none), else the live
//! catalog this process keeps ([`live`]) — and when that is missing or old, a refresh in the
//! background with this call's credential, for later calls (this one does not wait).
//!
//! The catalog does not know which upstreams the user enabled: when the pinned one is refused
//! as not available (403), the request goes once more without the pin, before any output, with
//! a notice, and the upstream is skipped for the rest of the process ([`mark_unavailable`]).

use std::{collections::HashSet, sync::Mutex};

use openclaw_provider_abi::{CallContext, ModelProvider, Tristate, documents::ChatRequest};
use serde_json::Value;

use crate::{
    catalog::{
        live::{self, FRESH_FOR, Upstreams},
        policy::{self, is_live},
    },
    outside_text::quote,
    settings::{ChatSettings, RoutingPolicy},
};

/// Upstreams refused as not available to this account, by router (base URL) and name.
static UNAVAILABLE: Mutex<Option<HashSet<(String, String)>>> = Mutex::new(None);

/// What a request needs from an upstream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub tools: bool,
    pub structured_output: bool,
}

impl Needs {
    /// What `request` needs: tools when it carries any, structured output for a
    /// `json_schema` or `json_object` response format.
    pub fn of(request: &ChatRequest) -> Self {
        Self {
            tools: request
                .tools
                .as_ref()
                .is_some_and(|tools| !tools.is_empty()),
            structured_output: request
                .response_format
                .as_ref()
                .and_then(|format| format.get("type"))
                .and_then(Value::as_str)
                .is_some_and(|kind| matches!(kind, "json_schema" | "json_object")),
        }
    }

    pub fn any(self) -> bool {
        self.tools || self.structured_output
    }

    /// Whether `upstream` is known to support all of it.
    fn met_by(self, upstream: &ModelProvider) -> bool {
        (!self.tools || upstream.supports_tools == Tristate::YES)
            && (!self.structured_output || upstream.supports_structured_output == Tristate::YES)
    }

    /// The request fields, as a person reads them.
    fn named(self) -> &'static str {
        match (self.tools, self.structured_output) {
            (true, true) => "tools and response_format",
            (true, false) => "tools",
            _ => "response_format",
        }
    }
}

/// A request sent pinned by capability routing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pinned {
    /// The upstream it was pinned to.
    pub upstream: String,
    /// The model id to send when that upstream is refused.
    pub unpinned: String,
    /// Why it was pinned.
    pub reason: PinReason,
}

/// Why a request was pinned to an upstream, which decides when the pin is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinReason {
    /// Capability routing: not every upstream has what the request needs. Dropped only when
    /// the router refuses the upstream as unavailable.
    Capability,
    /// The upstream served the conversation before (its prompt cache). Dropped after any
    /// failure before output that another upstream might not have.
    Session,
}

/// The model's upstreams for `base` (a model id without a policy) at the router `base_url`,
/// without those this process found unavailable: from the host when it passed them for this
/// model, else from the kept catalog. When the kept catalog is used and is missing or old and
/// `refresh_with` is given, a refresh starts in the background with that context.
pub fn upstreams(
    settings: &ChatSettings,
    base_url: &str,
    base: &str,
    refresh_with: Option<&CallContext>,
) -> Vec<ModelProvider> {
    let from_host = settings
        .host_upstreams
        .as_ref()
        .filter(|host| host.model == base)
        .map(|host| host.providers.clone());
    let providers = match from_host {
        Some(providers) => providers,
        None => {
            let kept = live::upstreams(base_url, base);
            let old = match &kept {
                Upstreams::Known { age, .. } | Upstreams::NotListed { age } => *age > FRESH_FOR,
                Upstreams::NoCatalog => true,
            };
            if old && let Some(context) = refresh_with {
                live::refresh_in_background(context.clone());
            }
            match kept {
                Upstreams::Known { providers, .. } => providers,
                _ => Vec::new(),
            }
        }
    };
    let key = live::key(base_url);
    providers
        .into_iter()
        .filter(|p| !is_unavailable(&key, p.name.as_str()))
        .collect()
}

/// The upstream to pin a request that `needs` to, among `upstreams`: the best capable live one
/// by `policy`, when some live upstream is not known to be capable and some is.
pub fn choose(
    upstreams: &[ModelProvider],
    needs: Needs,
    policy: RoutingPolicy,
) -> Option<ModelProvider> {
    let live: Vec<&ModelProvider> = upstreams.iter().filter(|p| is_live(p)).collect();
    let capable: Vec<ModelProvider> = live
        .iter()
        .filter(|p| needs.met_by(p))
        .map(|p| (*p).clone())
        .collect();
    if capable.is_empty() || capable.len() == live.len() {
        return None;
    }
    let picked = match policy {
        RoutingPolicy::Fastest => policy::pick_fastest(&capable),
        RoutingPolicy::Cheapest => policy::pick_cheapest(&capable),
    };
    // Without the figures a policy needs, the first capable one as the catalog lists it.
    picked.or_else(|| capable.first()).cloned()
}

/// The notice for a request pinned to `upstream`.
pub fn pinned_notice(base: &str, needs: Needs, upstream: &str, policy: RoutingPolicy) -> String {
    let upstream = quote(upstream, None);
    format!(
        "{}: not every upstream of {base} supports {}, so the request goes to {upstream} \
         ({base}:{upstream}, the {} that does); set \
         plugins.entries.huggingface.config.chat.capabilityRouting to false to let the router \
         choose",
        needs.named(),
        if needs.tools && !needs.structured_output {
            "tools"
        } else if needs.tools {
            "tools and structured output"
        } else {
            "structured output"
        },
        policy.name()
    )
}

/// The notice for a pinned request sent again without its pin.
pub fn unpinned_notice(upstream: &str, unpinned: &str) -> String {
    format!(
        "{} is not available to this account; the request was sent again as {unpinned}, for the \
         router to choose, and {} is skipped for the rest of this session",
        quote(upstream, None),
        quote(upstream, None)
    )
}

/// Remembers that the router at `base_url` refused `upstream` as not available.
pub fn mark_unavailable(base_url: &str, upstream: &str) {
    if let Ok(mut set) = UNAVAILABLE.lock() {
        set.get_or_insert_with(HashSet::new)
            .insert((live::key(base_url), upstream.to_owned()));
    }
}

fn is_unavailable(key: &str, upstream: &str) -> bool {
    UNAVAILABLE.lock().is_ok_and(|set| {
        set.as_ref()
            .is_some_and(|set| set.contains(&(key.to_owned(), upstream.to_owned())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::policy::tests::provider;

    fn upstream(
        name: &str,
        tps: f64,
        price: f64,
        tools: Tristate,
        structured: Tristate,
    ) -> ModelProvider {
        let mut p = provider(name, Some(tps), Some(price));
        p.supports_tools = tools;
        p.supports_structured_output = structured;
        p
    }

    const TOOLS: Needs = Needs {
        tools: true,
        structured_output: false,
    };

    #[test]
    fn the_best_capable_upstream_is_chosen_only_when_some_lack_it() {
        let upstreams = [
            upstream("fast-no-tools", 300.0, 0.1, Tristate::NO, Tristate::YES),
            upstream("slow", 40.0, 0.2, Tristate::YES, Tristate::NO),
            upstream("quick", 90.0, 0.9, Tristate::YES, Tristate::UNKNOWN),
        ];
        let pick = |needs, policy| choose(&upstreams, needs, policy).map(|p| p.name.to_string());
        assert_eq!(
            pick(TOOLS, RoutingPolicy::Fastest).as_deref(),
            Some("quick")
        );
        assert_eq!(
            pick(TOOLS, RoutingPolicy::Cheapest).as_deref(),
            Some("slow")
        );
        let structured = Needs {
            tools: false,
            structured_output: true,
        };
        assert_eq!(
            pick(structured, RoutingPolicy::Fastest).as_deref(),
            Some("fast-no-tools")
        );
        let both = Needs {
            tools: true,
            structured_output: true,
        };
        assert_eq!(pick(both, RoutingPolicy::Fastest), None, "none has both");

        let all_capable = [
            upstream("a", 1.0, 1.0, Tristate::YES, Tristate::YES),
            upstream("b", 2.0, 1.0, Tristate::YES, Tristate::YES),
        ];
        assert_eq!(choose(&all_capable, TOOLS, RoutingPolicy::Fastest), None);
        assert_eq!(choose(&[], TOOLS, RoutingPolicy::Fastest), None);
        // A failing upstream does not count, either way.
        let mut down = upstream("down", 500.0, 0.1, Tristate::NO, Tristate::NO);
        down.status = "error".into();
        assert_eq!(
            choose(
                &[down, all_capable[0].clone()],
                TOOLS,
                RoutingPolicy::Fastest
            ),
            None
        );
    }

    #[test]
    fn needs_come_from_the_request() {
        let request: ChatRequest = serde_json::from_str(
            r#"{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f"}}],
                "response_format":{"type":"text"}}"#,
        )
        .unwrap();
        assert_eq!(Needs::of(&request), TOOLS);
        let request: ChatRequest = serde_json::from_str(
            r#"{"model":"m","messages":[],"tools":[],"response_format":{"type":"json_schema"}}"#,
        )
        .unwrap();
        assert_eq!(
            Needs::of(&request),
            Needs {
                tools: false,
                structured_output: true
            }
        );
    }

    #[test]
    fn refused_upstreams_are_skipped_afterwards() {
        let settings = ChatSettings::for_call(&CallContext {
            provider_config_json:
                r#"{"upstreams":{"model":"o/m","providers":[{"name":"a"},{"name":"b"}]}}"#.into(),
            ..CallContext::anonymous()
        })
        .unwrap();
        let names =
            |list: Vec<ModelProvider>| list.iter().map(|p| p.name.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(upstreams(&settings, "http://127.0.0.1:7/v1", "o/m", None)),
            ["a", "b"]
        );
        mark_unavailable("http://127.0.0.1:7/v1/", "a");
        assert_eq!(
            names(upstreams(&settings, "http://127.0.0.1:7/v1", "o/m", None)),
            ["b"]
        );
        assert_eq!(
            names(upstreams(&settings, "http://127.0.0.1:6/v1", "o/m", None)),
            ["a", "b"]
        );
        assert!(upstreams(&settings, "http://127.0.0.1:7/v1", "o/other", None).is_empty());
    }
}
