//! `polyn::schema::Registry` on a real nats-server: pushing a checked schemas
//! folder creates the bucket, adds and updates only, never deletes
//! implicitly, refuses a breaking change without writing anything unless
//! forced; a schema leaves only by an explicit delete.

use polyn::Error;
use polyn::schema::Registry;
use polyn::schemas::{CheckedSchema, JsonChange, SchemaFile, check_schemas};
use polyn_tests::NatsServer;
use serde_json::{Value, json};

fn checked(files: &[(&str, Value)]) -> Vec<CheckedSchema> {
    let files: Vec<SchemaFile> = files
        .iter()
        .map(|(name, schema)| SchemaFile::new(format!("schemas/{name}.json"), schema.to_string()))
        .collect();
    check_schemas(&files).expect("the test schemas pass the folder checks")
}

fn order(extra: Value) -> Value {
    let mut schema = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}, "total": {"type": "number"}},
        "required": ["id"]
    });
    if let (Some(properties), Value::Object(extra)) = (schema["properties"].as_object_mut(), extra)
    {
        properties.extend(extra);
    }
    schema
}

async fn connect(server: &NatsServer) -> async_nats::Client {
    async_nats::connect(server.url()).await.expect("connect")
}

#[tokio::test]
async fn push_creates_the_bucket_then_adds_and_updates_only() {
    let server = NatsServer::start();
    let nats = connect(&server).await;
    let registry = Registry::new(&nats);
    assert!(matches!(
        registry.read().await,
        Err(Error::SchemaStoreNotFound { .. })
    ));

    let first = checked(&[
        ("orders.placed.v1", order(json!({}))),
        ("orders.shipped.v1", json!({"type": "object"})),
    ]);
    let plan = registry.plan(&first).await.expect("plan");
    assert_eq!(plan.create_bucket, Some(1), "one server: one replica");
    assert_eq!(plan.added, ["orders.placed.v1", "orders.shipped.v1"]);
    // Planning changes nothing.
    assert!(matches!(
        registry.read().await,
        Err(Error::SchemaStoreNotFound { .. })
    ));

    registry.push(&first, false).await.expect("push");
    let stored = registry.read().await.expect("read");
    assert_eq!(stored["orders.placed.v1"], order(json!({})));
    // Compact JSON, as the Polyn CLI writes it.
    let js = async_nats::jetstream::new(nats.clone());
    let kv = js.get_key_value("POLYN_SCHEMAS").await.expect("bucket");
    let raw = kv
        .get("orders.placed.v1")
        .await
        .expect("get")
        .expect("value");
    assert_eq!(
        std::str::from_utf8(&raw).unwrap(),
        order(json!({})).to_string()
    );
    assert!(registry.plan(&first).await.expect("plan").is_empty());

    // An optional property added; `orders.shipped.v1` no longer in the folder.
    let second = checked(&[(
        "orders.placed.v1",
        order(json!({"note": {"type": "string"}})),
    )]);
    let plan = registry
        .push(&second, false)
        .await
        .expect("compatible push");
    assert_eq!(plan.create_bucket, None);
    assert_eq!(plan.updated.len(), 1);
    assert_eq!(
        plan.updated[0].1,
        [JsonChange::Added {
            pointer: "/properties/note".into(),
            new: json!({"type": "string"})
        }]
    );
    assert_eq!(plan.only_in_bucket, ["orders.shipped.v1"]);
    let stored = registry.read().await.expect("read");
    assert_eq!(stored.len(), 2, "nothing is deleted implicitly");
    assert_eq!(
        stored["orders.placed.v1"]["properties"]["note"],
        json!({"type": "string"})
    );
}

#[tokio::test]
async fn a_breaking_push_is_refused_whole_unless_forced() {
    let server = NatsServer::start();
    let nats = connect(&server).await;
    let registry = Registry::new(&nats);
    registry
        .push(&checked(&[("orders.placed.v1", order(json!({})))]), false)
        .await
        .expect("first push");
    let before = registry.read().await.expect("read");

    // `total` removed, and a new schema alongside: neither is written.
    let mut breaking = order(json!({}));
    breaking["properties"]
        .as_object_mut()
        .unwrap()
        .remove("total");
    let next = checked(&[
        ("orders.placed.v1", breaking.clone()),
        ("orders.refunded.v1", json!({"type": "object"})),
    ]);
    let plan = registry.plan(&next).await.expect("plan");
    assert_eq!(plan.breaking.len(), 1);
    assert_eq!(plan.breaking[0].1[0].path, "/properties");
    assert!(
        plan.breaking[0].1[0].change.contains("`total`"),
        "{:?}",
        plan.breaking
    );

    let err = registry.push(&next, false).await.unwrap_err();
    let Error::PushRefused { breaking: refused } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(refused.len(), 1);
    let text = err.to_string();
    assert!(
        text.starts_with("nothing was pushed: one schema would break"),
        "{text}"
    );
    assert!(text.contains("`orders.placed.v2`"), "{text}");
    assert!(text.contains("at `/properties`"), "{text}");
    assert_eq!(
        registry.read().await.expect("read"),
        before,
        "the bucket is unchanged"
    );

    registry.push(&next, true).await.expect("forced push");
    let after = registry.read().await.expect("read");
    assert_eq!(after["orders.placed.v1"], breaking);
    assert!(after.contains_key("orders.refunded.v1"));
}

#[tokio::test]
async fn a_schema_leaves_only_by_an_explicit_delete() {
    let server = NatsServer::start();
    let nats = connect(&server).await;
    let registry = Registry::new(&nats).max_replicas(1);
    assert!(matches!(
        registry.delete("orders.placed.v1").await,
        Err(Error::SchemaStoreNotFound { .. })
    ));
    registry
        .push(
            &checked(&[
                ("orders.placed.v1", order(json!({}))),
                ("orders.shipped.v1", json!({})),
            ]),
            false,
        )
        .await
        .expect("push");
    registry.delete("orders.shipped.v1").await.expect("delete");
    let stored = registry.read().await.expect("read");
    assert_eq!(stored.keys().collect::<Vec<_>>(), ["orders.placed.v1"]);
    let err = registry.delete("orders.shipped.v1").await.unwrap_err();
    assert!(matches!(err, Error::SchemaNotFound { .. }), "{err:?}");
    // A client loads what the registry pushed.
    let config = polyn::Config::builder()
        .domain("com.test")
        .source_root("svc")
        .server(server.url())
        .build()
        .unwrap();
    let client = polyn::Client::connect(config).await.expect("client");
    assert!(
        client
            .schemas()
            .snapshot()
            .get("orders.placed.v1")
            .is_some()
    );
    assert!(
        client
            .schemas()
            .snapshot()
            .get("orders.shipped.v1")
            .is_none()
    );
}
