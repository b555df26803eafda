//! The files of a listing: a seller uploads the product's logo (a PNG) and
//! its end-user license agreement; the draft names them by content, review
//! rules see their format and size, and anyone who may see the product
//! downloads them.

use super::access::{own_product, visible_product};
use super::catalog::ensure_editable;
use super::{App, AppError, Caller};
use crate::domain::catalog::{Asset, ProductDraft};
use crate::store::{ProductRow, Role};
use sha2::{Digest, Sha256};

/// Largest logo or EULA accepted, in bytes.
pub const MAX_ASSET_BYTES: usize = 10 << 20;

/// Media types an EULA may have.
pub const EULA_TYPES: [&str; 4] = [
    "application/pdf",
    "text/plain",
    "text/markdown",
    "text/html",
];

/// Which file of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    /// The catalogue logo.
    Logo,
    /// The end-user license agreement.
    Eula,
}

impl AssetKind {
    fn name(self) -> &'static str {
        match self {
            AssetKind::Logo => "logo",
            AssetKind::Eula => "eula",
        }
    }

    fn slot(self, draft: &mut ProductDraft) -> &mut Option<Asset> {
        match self {
            AssetKind::Logo => &mut draft.logo,
            AssetKind::Eula => &mut draft.eula,
        }
    }
}

/// Width and height of a PNG, read from its header (`IHDR`, the first chunk).
pub fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((be(16), be(20)))
}

/// The seller uploads `body` (of `content_type`) as the `kind` file of their
/// product's draft; answers the product.
pub async fn upload(
    app: &App,
    caller: &Caller,
    product_id: &str,
    kind: AssetKind,
    content_type: &str,
    body: &[u8],
) -> Result<ProductRow, AppError> {
    let p = own_product(app, caller, product_id).await?;
    ensure_editable(&p)?;
    if body.is_empty() || body.len() > MAX_ASSET_BYTES {
        return Err(AppError::bad(
            "body",
            format!("send the file as the body: 1 byte to {MAX_ASSET_BYTES} bytes"),
        ));
    }
    let content_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (content_type, dimensions) = match kind {
        AssetKind::Logo => match png_dimensions(body) {
            Some(d) => ("image/png".to_string(), Some(d)),
            None => {
                return Err(AppError::bad(
                    "body",
                    "the logo must be a PNG image (its content is checked, not its name)",
                ));
            }
        },
        AssetKind::Eula if EULA_TYPES.contains(&content_type.as_str()) => (content_type, None),
        AssetKind::Eula => {
            return Err(AppError::bad(
                "Content-Type",
                format!("an EULA is one of {}", EULA_TYPES.join(", ")),
            ));
        }
    };
    let sha256 = hex::encode(Sha256::digest(body));
    let now = app.clock.now_ms();
    app.store
        .put_asset(&p.id, &sha256, &content_type, body, now)
        .await?;
    let mut draft: ProductDraft = serde_json::from_str(&p.draft)?;
    *kind.slot(&mut draft) = Some(Asset {
        sha256,
        content_type,
        size_bytes: body.len() as u64,
        width: dimensions.map(|d| d.0),
        height: dimensions.map(|d| d.1),
    });
    app.store
        .update_draft(&p.id, &serde_json::to_string(&draft)?, now)
        .await?;
    super::catalog::reread(app, &p.id).await
}

/// The `kind` file of a product: customers get the live definition's, the
/// seller and operators the draft's. Answers its media type and bytes.
pub async fn download(
    app: &App,
    caller: &Caller,
    product_id: &str,
    kind: AssetKind,
) -> Result<(String, Vec<u8>), AppError> {
    let p = visible_product(app, caller, product_id).await?;
    let definition = match caller.role {
        Role::Customer => p.live.clone().unwrap_or_default(),
        _ => p.draft.clone(),
    };
    let none = || AppError::NotFound(format!("product {} has no {}", p.id, kind.name()));
    let mut draft: ProductDraft = serde_json::from_str(&definition).map_err(|_| none())?;
    let asset = kind.slot(&mut draft).clone().ok_or_else(none)?;
    app.store
        .asset(&p.id, &asset.sha256)
        .await?
        .ok_or_else(none)
}

#[cfg(test)]
mod tests {
    use super::png_dimensions;

    #[test]
    fn png_headers_give_their_dimensions_and_other_files_none() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(120u32.to_be_bytes());
        png.extend(96u32.to_be_bytes());
        assert_eq!(png_dimensions(&png), Some((120, 96)));
        assert_eq!(png_dimensions(b"GIF89a......................"), None);
        assert_eq!(png_dimensions(&png[..20]), None);
    }
}
