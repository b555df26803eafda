//! A product listing as KooGallery §3.1 asks for it: overview, categories,
//! support, customer cases, a 120×120 PNG logo and an EULA, passed to the
//! review rules; a complete listing passes the example rules.

use bazaar_tests::market::{product_draft, record_cases, upload_plugin};
use bazaar_tests::{TestApp, plugin_bytes, spawn_app};
use serde_json::{Value, json};

/// A valid `width`×`height` RGB PNG (stored, uncompressed deflate).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // no filter
        for x in 0..width {
            raw.extend([(x * 2) as u8, (y * 2) as u8, 128]);
        }
    }
    // zlib: header, stored blocks of at most 65535 bytes, adler-32.
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend(len.to_le_bytes());
        z.extend((!len).to_le_bytes());
        z.extend(*block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

async fn put_file(
    app: &TestApp,
    token: &str,
    path: &str,
    kind: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let res = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .expect("request");
    bazaar_tests::reply("put", res).await
}

/// The test product's draft completed with every listing field.
fn complete_listing(sha: &str) -> Value {
    let mut d = product_draft(sha);
    d["description"] = json!(
        "Acme CRM keeps every customer conversation, deal and task in one place. ".repeat(16)
    );
    d["overview"] = json!("Customer relationships, deals and tasks in one place.");
    d["categories"] = json!(["software", "crm"]);
    d["support"] =
        json!("Mon-Fri 09:00-18:00 (GMT+08:00), support@acme.test, answers within 4 hours.");
    d["customer-cases"] = json!(["Contoso moved 40 sales staff to Acme CRM in a week."]);
    d["specifications"][0]["name"] = json!("Team edition");
    d["specifications"][1]["name"] = json!("Enterprise edition");
    d
}

/// A seller's product with the complete listing (cases recorded), the
/// example listing rules active; answers the seller's token and the
/// product id.
async fn listed_draft_under_rules(app: &TestApp) -> (String, String) {
    let (_, seller) = app.account("seller", "Acme").await;
    let sha = upload_plugin(app, &seller, "crm", plugin_bytes("saas_lifecycle")).await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let rules = upload_plugin(
        app,
        &app.operator,
        "listing-rules",
        plugin_bytes("listing_rules"),
    )
    .await["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .post_as(
            &app.operator,
            "/v1/rules/review/listing/activate",
            json!({"plugin": rules}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    record_cases(app, &seller, &sha).await;
    let (status, body) = app
        .post_as(&seller, "/v1/products", complete_listing(&sha))
        .await;
    assert_eq!(status, 201, "{body}");
    (seller, body["id"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_listing_passes_the_example_rules() {
    let app = spawn_app().await;
    let (seller, pid) = listed_draft_under_rules(&app).await;
    let (_, customer) = app.customer("Carol").await;

    // Files: a logo that is no PNG and an EULA of another type are refused.
    let logo = format!("/v1/products/{pid}/logo");
    let eula = format!("/v1/products/{pid}/eula");
    let (status, body) = put_file(
        &app,
        &seller,
        &logo,
        "image/png",
        b"GIF89a not a png".to_vec(),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("body")),
        "{body}"
    );
    let (status, body) = put_file(&app, &seller, &eula, "image/gif", b"terms".to_vec()).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("Content-Type")),
        "{body}"
    );
    let picture = png(120, 120);
    let (status, body) = put_file(&app, &seller, &logo, "image/png", picture.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["draft"]["logo"]["width"], 120, "{body}");
    let terms = b"# End-user license agreement\n\nUse it well.".to_vec();
    let (status, body) = put_file(&app, &seller, &eula, "text/markdown", terms.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["draft"]["eula"]["content-type"], "text/markdown",
        "{body}"
    );

    // Replacing the draft keeps the files.
    let mut draft = body["draft"].clone();
    draft["version"] = json!("V1.1");
    let (status, body) = app
        .send_as(
            &seller,
            reqwest::Method::PUT,
            &format!("/v1/products/{pid}/draft"),
            draft,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["draft"]["logo"]["sha256"].as_str().map(str::len),
        Some(64),
        "{body}"
    );

    // Submitted, the example rules find nothing: no blocker, no warning.
    let (status, submitted) = app
        .post_as(
            &seller,
            &format!("/v1/products/{pid}/release-applications"),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{submitted}");
    let findings = &submitted["review"]["findings"];
    assert_eq!(findings.as_array().map(Vec::len), Some(0), "{findings}");
    let application = submitted["id"].as_str().unwrap();
    let (status, body) = app
        .post_as(
            &app.operator,
            &format!("/v1/release-applications/{application}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Customers download the released logo and EULA.
    for (path, want, kind) in [
        (&logo, &picture, "image/png"),
        (&eula, &terms, "text/markdown"),
    ] {
        let res = app
            .client
            .get(app.url(path))
            .bearer_auth(&customer)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-type"], kind);
        assert_eq!(&res.bytes().await.unwrap().to_vec(), want);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_without_its_files_is_blocked_by_the_example_rules() {
    let app = spawn_app().await;
    let (seller, pid) = listed_draft_under_rules(&app).await;
    // A logo of the wrong size, and no EULA.
    let (status, _) = put_file(
        &app,
        &seller,
        &format!("/v1/products/{pid}/logo"),
        "image/png",
        png(64, 64),
    )
    .await;
    assert_eq!(status, 200);
    let (_, submitted) = app
        .post_as(
            &seller,
            &format!("/v1/products/{pid}/release-applications"),
            json!({}),
        )
        .await;
    let ids: Vec<&str> = submitted["review"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule-id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["listing.logo.dimensions", "listing.eula.present"],
        "{submitted}"
    );
    app.stop().await;
}
