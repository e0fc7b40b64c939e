//! The event types polyn-build generates from the repository's `schemas/`
//! folder (see `tests/build.rs`): they build under `#![deny(warnings)]`,
//! round-trip through `serde_json` and through the runtime's envelope and
//! validation, and carry their schema and its digest.
#![deny(warnings)]

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::Path;

use polyn::schema::{Schema, Schemas};
use polyn::validation::validate_event;
use polyn::{Config, Event, EventType};
use serde_json::{Value, json};

polyn::include_events!();

const DOMAIN: &str = "com.test";

fn config() -> Config {
    Config::builder()
        .domain(DOMAIN)
        .source_root("user.backend")
        .build()
        .expect("test configuration")
}

/// The schema file of `T` in `schemas/`, as JSON.
fn schema_file<T: EventType>() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(format!("{}.json", T::NAME));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file")).expect("JSON")
}

/// `value` survives `serde_json`, and, wrapped in an event, the runtime's
/// validation against the schema file and decoding back into `T`.
fn round_trip<T: EventType + Clone + PartialEq + Debug>(value: &T) -> Value {
    let json = serde_json::to_value(value).expect("serialize");
    let back: T = serde_json::from_value(json.clone()).expect("deserialize");
    assert_eq!(&back, value);

    let mut schemas = Schemas::new();
    schemas.insert(Schema::compile(T::NAME, &schema_file::<T>()).expect("schema compiles"));
    let envelope = config()
        .event(T::NAME, value.clone())
        .expect("event")
        .to_json()
        .expect("envelope");
    let schema = validate_event(&envelope, DOMAIN, &schemas)
        .unwrap_or_else(|err| panic!("{} fails validation: {err}", T::NAME));
    assert_eq!(schema.name(), T::NAME);
    let decoded = Event::from_json(envelope)
        .expect("envelope decodes")
        .into_typed::<T>()
        .expect("data decodes");
    assert_eq!(decoded.data(), value);
    json
}

#[test]
fn every_schema_file_has_a_generated_type() {
    let generated: BTreeSet<&str> = [
        CalcMultRequestV1::NAME,
        CalcMultResponseV1::NAME,
        MoneyAmountV1::NAME,
        OrdersPlacedV1::NAME,
        UserCreatedV1::NAME,
        WidgetsCreatedV1::NAME,
    ]
    .into();
    let files: BTreeSet<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"))
            .expect("schemas folder")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .map(|path| {
                path.file_stem()
                    .and_then(|s| s.to_str())
                    .expect("name")
                    .to_owned()
            })
            .collect();
    assert_eq!(generated, files.iter().map(String::as_str).collect());
}

#[test]
fn schema_and_digest_are_the_files() {
    fn check<T: EventType>() {
        let file = schema_file::<T>();
        let schema: Value = serde_json::from_str(T::SCHEMA).expect("SCHEMA is JSON");
        assert_eq!(schema, file, "{}", T::NAME);
        assert_eq!(
            T::SCHEMA_DIGEST,
            Some(polyn_build::schema_digest(&file).as_str()),
            "{}",
            T::NAME
        );
    }
    check::<CalcMultRequestV1>();
    check::<CalcMultResponseV1>();
    check::<MoneyAmountV1>();
    check::<OrdersPlacedV1>();
    check::<UserCreatedV1>();
    check::<WidgetsCreatedV1>();
}

#[test]
fn widgets_and_money_the_cli_templates() {
    let widget = WidgetsCreatedV1 {
        id: "w1".into(),
        name: "Sprocket".into(),
    };
    assert_eq!(round_trip(&widget), json!({"id": "w1", "name": "Sprocket"}));

    let money = MoneyAmountV1 {
        currency: "EUR".into(),
        amount: 12.5,
    };
    assert_eq!(
        round_trip(&money),
        json!({"currency": "EUR", "amount": 12.5})
    );
}

#[test]
fn user_created_with_identity_omits_absent_optionals() {
    let user = UserCreatedV1 {
        id: "u1".parse().expect("non-empty id"),
        email: "mary@example.com".into(),
        name: None,
        created_at: None,
    };
    assert_eq!(
        round_trip(&user),
        json!({"id": "u1", "email": "mary@example.com"})
    );

    let user = UserCreatedV1 {
        name: Some("Mary".into()),
        created_at: Some("2024-05-01T12:00:00Z".parse().expect("time")),
        ..user
    };
    assert_eq!(
        round_trip(&user),
        json!({"id": "u1", "email": "mary@example.com", "name": "Mary",
               "created_at": "2024-05-01T12:00:00Z"})
    );
    // `minLength: 1` is in the type: an empty id does not even deserialize,
    // and the public error names the type, the constraint and the value.
    let err = "".parse::<user_created_v1::UserCreatedV1Id>().unwrap_err();
    assert_eq!(err.type_name(), Some("UserCreatedV1Id"));
    assert_eq!(
        err.constraint(),
        &polyn::validation::Constraint::MinLength(1)
    );
    assert_eq!(err.value(), Some(""));
    assert_eq!(
        err.to_string(),
        "`UserCreatedV1Id` must be at least 1 characters long: \"\" has 0"
    );
    let _: &dyn std::error::Error = &err;
    let err = serde_json::from_value::<UserCreatedV1>(json!({"id": "", "email": "x"})).unwrap_err();
    assert!(
        err.to_string()
            .contains("`UserCreatedV1Id` must be at least 1"),
        "{err}"
    );
    // An enum names its values.
    let err: polyn::validation::ConversionError =
        "euro".parse::<orders_placed_v1::Currency>().unwrap_err();
    assert!(
        matches!(err.constraint(), polyn::validation::Constraint::OneOf(values) if values.contains(&"EUR")),
        "{err}"
    );
    assert!(err.to_string().ends_with(": not \"euro\""), "{err}");
}

#[test]
fn calc_request_and_response() {
    let request = CalcMultRequestV1 { a: 6, b: 7 };
    assert_eq!(round_trip(&request), json!({"a": 6, "b": 7}));
    let response = CalcMultResponseV1 { product: 42 };
    assert_eq!(round_trip(&response), json!({"product": 42}));
    // `additionalProperties: false` is in the type too.
    assert!(serde_json::from_value::<CalcMultRequestV1>(json!({"a": 1, "b": 2, "c": 3})).is_err());
}

fn order() -> OrdersPlacedV1 {
    // The nested types by their short names (`orders_placed_v1::Status` for
    // `OrdersPlacedV1Status`); `Address` is the schema's own definition.
    use orders_placed_v1::{Address, Currency, Customer, LinesItem, Payment, Status};
    OrdersPlacedV1 {
        order_id: "5f0c6a4e-8a5b-4c1e-9d2b-0e6f3b1a2c3d"
            .parse()
            .expect("uuid"),
        placed_at: "2024-05-01T12:00:00Z".parse().expect("time"),
        status: Status::Paid,
        currency: Currency::Eur,
        customer: Customer {
            id: "c1".into(),
            email: Some("mary@example.com".into()),
            shipping_address: Address {
                street: "Dam 1".into(),
                city: "Amsterdam".into(),
                postal_code: None,
                country: "NL".parse().expect("two letters"),
            },
        },
        lines: vec![LinesItem {
            sku: "gear-1".into(),
            // `minimum: 1`: a plain integer; the schema rejects 0.
            quantity: 2,
            unit_price: 9.95,
            tags: vec!["metal".into()],
        }],
        payment: Some(Payment::Card {
            last4: "4242".into(),
        }),
        gift: false,
        note: None,
    }
}

#[test]
fn orders_nested_objects_enums_arrays_and_one_of() {
    let json = round_trip(&order());
    assert_eq!(json["status"], "paid");
    assert_eq!(json["payment"], json!({"method": "card", "last4": "4242"}));
    assert_eq!(json["customer"]["shipping_address"]["country"], "NL");
    assert!(json.get("note").is_none());

    // Defaults fill what the sender left out.
    let minimal = json!({
        "order_id": "5f0c6a4e-8a5b-4c1e-9d2b-0e6f3b1a2c3d",
        "placed_at": "2024-05-01T12:00:00Z",
        "currency": "USD",
        "customer": {"id": "c1", "shipping_address": {"street": "Main St 1", "city": "Springfield"}},
        "lines": [{"sku": "a", "quantity": 1, "unit_price": 1.0}]
    });
    let order: OrdersPlacedV1 = serde_json::from_value(minimal).expect("minimal order");
    assert_eq!(order.status, orders_placed_v1::Status::Pending);
    // The long name is the same type.
    assert_eq!(
        order.status,
        orders_placed_v1::OrdersPlacedV1Status::Pending
    );
    assert_eq!(order.customer.shipping_address.country.as_str(), "NL");
    assert!(!order.gift);
    round_trip(&order);

    // Enums are closed, as in the schema.
    let mut bad = serde_json::to_value(&order).expect("json");
    bad["currency"] = json!("XYZ");
    assert!(serde_json::from_value::<OrdersPlacedV1>(bad).is_err());
}

/// What the type cannot say, runtime validation still enforces: here
/// `minimum: 0` on a number and `minItems: 1`.
#[test]
fn runtime_validation_enforces_what_types_cannot() {
    let mut schemas = Schemas::new();
    schemas.insert(
        Schema::compile(OrdersPlacedV1::NAME, &schema_file::<OrdersPlacedV1>()).expect("schema"),
    );
    let mut negative = order();
    negative.lines[0].unit_price = -1.0;
    let mut empty = order();
    empty.lines.clear();
    // A plain `u64` holds 0; the schema's `minimum: 1` does not.
    let mut none = order();
    none.lines[0].quantity = 0;
    for order in [negative, empty, none] {
        let envelope = config()
            .event(OrdersPlacedV1::NAME, order)
            .expect("event")
            .to_json()
            .expect("envelope");
        assert!(validate_event(&envelope, DOMAIN, &schemas).is_err());
    }
}

/// An order as the Elixir client 0.6.5 sends it (alphabetical keys,
/// specversion "1.0.1", `dataschema: null`, numbers written as floats), and
/// as the Ruby client 0.4.0 does (insertion order): both decode into the
/// generated type with its nested enums, bounded integer and formats, and
/// encode back to the same data.
#[test]
fn orders_from_the_elixir_and_ruby_clients_round_trip() {
    let data = r#"{"currency":"EUR","customer":{"id":"c1","shipping_address":{"city":"Amsterdam","country":"NL","street":"Dam 1"}},"lines":[{"quantity":2.0,"sku":"gear-1","tags":["metal"],"unit_price":9.95}],"order_id":"5f0c6a4e-8a5b-4c1e-9d2b-0e6f3b1a2c3d","payment":{"last4":"4242","method":"card"},"placed_at":"2024-05-01T12:00:00.123456Z","status":"paid"}"#;
    let elixir = format!(
        r#"{{"data":{data},"datacontenttype":"application/json","dataschema":null,"id":"0b2a6c0e-8f0e-4b8c-9a43-4d2b1f7f2c11","polyndata":{{"clientlang":"elixir","clientlangversion":"1.12.3","clientversion":"0.6.5"}},"source":"com:test:orders","specversion":"1.0.1","time":"2024-05-01T12:00:00.123456Z","type":"com.test.orders.placed.v1"}}"#
    );
    let ruby = format!(
        r#"{{"specversion":"1.0","type":"com.test.orders.placed.v1","source":"com:test:orders","id":"8b7b9d0f-2f6e-4c1a-9a4e-0d6a1e2b3c4d","time":"2024-05-01T12:00:00Z","datacontenttype":"application/json","data":{},"polyndata":{{"clientlang":"ruby","clientlangversion":"3.1.2","clientversion":"0.4.0"}}}}"#,
        data.replace("2.0", "2")
    );
    let mut schemas = Schemas::new();
    schemas.insert(
        Schema::compile(OrdersPlacedV1::NAME, &schema_file::<OrdersPlacedV1>()).expect("schema"),
    );
    for (client, text) in [("elixir", elixir), ("ruby", ruby)] {
        let envelope: Value = serde_json::from_str(&text).expect("JSON");
        validate_event(&envelope, DOMAIN, &schemas)
            .unwrap_or_else(|err| panic!("the {client} order fails validation: {err}"));
        let event = Event::from_json(envelope)
            .expect("envelope decodes")
            .into_typed::<OrdersPlacedV1>()
            .unwrap_or_else(|err| panic!("the {client} order does not fit the type: {err}"));
        let order = event.data();
        assert_eq!(order.status, orders_placed_v1::Status::Paid, "{client}");
        assert_eq!(order.currency, orders_placed_v1::Currency::Eur, "{client}");
        assert_eq!(order.lines[0].quantity, 2u64, "{client}");
        assert_eq!(order.customer.shipping_address.country.as_str(), "NL");
        assert!(matches!(
            &order.payment,
            Some(orders_placed_v1::Payment::Card { last4 }) if last4.as_str() == "4242"
        ));
        // Encoded back, the data is what was sent (the whole float as an
        // integer, the defaults the sender left out written).
        let mut sent: Value = serde_json::from_str(data).expect("JSON");
        sent["lines"][0]["quantity"] = json!(2);
        sent["gift"] = json!(false);
        let encoded = serde_json::to_value(order).expect("encode");
        for (key, value) in sent.as_object().expect("an object") {
            let encoded = &encoded[key];
            if key == "placed_at" {
                let at: chrono::DateTime<chrono::Utc> =
                    serde_json::from_value(value.clone()).expect("time");
                assert_eq!(encoded, &json!(at), "{client}: {key}");
            } else {
                assert_eq!(encoded, value, "{client}: {key}");
            }
        }
        round_trip(order);
    }
}
