//! JSON request bodies parsed with errors that say where: axum's own `Json`
//! extractor answers in plain text, and the API promises JSON errors.

use super::ApiError;
use serde::de::DeserializeOwned;

/// Parses `body`, naming the offending field path or position on failure.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::BadRequest {
            message: format!("invalid JSON body: {inner}"),
            field: (path != ".").then_some(path),
        }
    })
}
