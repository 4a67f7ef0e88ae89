//! Reading `models.json` in one pass: one provider's block typed, every other provider's block
//! and every other top-level key kept as raw JSON, to be written back untouched.

use std::path::Path;

use serde::{Deserialize, Deserializer as _};
use serde_json::value::RawValue;

use super::StoreError;

/// The largest persisted catalog read: many times a 5,000-model catalog (about 8 MB), and
/// what a refresh at the largest model-list body could write.
const MAX_MODELS_BYTES: u64 = 256 * 1024 * 1024;

/// The file's text, or `None` when there is none.
pub(super) fn read_text(path: &Path) -> Result<Option<String>, StoreError> {
    match provider_host::bounded::read_text(path, MAX_MODELS_BYTES) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.is_missing() => Ok(None),
        Err(err) => Err(StoreError::Unreadable {
            path: path.to_path_buf(),
            message: err.to_string(),
        }),
    }
}

/// The file, read in one pass: our provider's block as `T`, everything else as raw JSON to be
/// written back untouched.
pub(crate) struct Parsed<'a, T> {
    pub(crate) others_top: Vec<(String, &'a RawValue)>,
    pub(crate) other_providers: Vec<(String, &'a RawValue)>,
    pub(crate) ours: Option<T>,
}

pub(super) fn parse<'a, T: Deserialize<'a>>(
    text: &'a str,
    provider: &str,
    path: &Path,
) -> Result<Parsed<'a, T>, StoreError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = deserializer
        .deserialize_map(visitors::TopVisitor::<T>::new(provider))
        .and_then(|parsed| deserializer.end().map(|()| parsed))
        .map_err(|err| StoreError::Malformed {
            path: path.to_path_buf(),
            message: err.to_string(),
        })?;
    Ok(parsed)
}

/// Visitors for [`parse`].
mod visitors {
    use std::{fmt, marker::PhantomData};

    use serde::{
        Deserialize, Deserializer,
        de::{DeserializeSeed, MapAccess, Visitor},
    };
    use serde_json::value::RawValue;

    use super::Parsed;

    pub(crate) struct TopVisitor<'p, T> {
        provider: &'p str,
        block: PhantomData<T>,
    }

    impl<'p, T> TopVisitor<'p, T> {
        pub fn new(provider: &'p str) -> Self {
            Self {
                provider,
                block: PhantomData,
            }
        }
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for TopVisitor<'_, T> {
        type Value = Parsed<'de, T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut parsed = Parsed {
                others_top: Vec::new(),
                other_providers: Vec::new(),
                ours: None,
            };
            while let Some(key) = map.next_key::<String>()? {
                if key == "providers" {
                    map.next_value_seed(ProvidersSeed {
                        provider: self.provider,
                        parsed: &mut parsed,
                    })?;
                } else {
                    parsed.others_top.push((key, map.next_value()?));
                }
            }
            Ok(parsed)
        }
    }

    struct ProvidersSeed<'p, 'a, 'de, T> {
        provider: &'p str,
        parsed: &'a mut Parsed<'de, T>,
    }

    impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ProvidersSeed<'_, '_, 'de, T> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ProvidersSeed<'_, '_, 'de, T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of providers")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                if key == self.provider {
                    self.parsed.ours = Some(map.next_value()?);
                } else {
                    let raw: &'de RawValue = map.next_value()?;
                    self.parsed.other_providers.push((key, raw));
                }
            }
            Ok(())
        }
    }
}
