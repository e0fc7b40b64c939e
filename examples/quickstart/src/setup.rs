//! The client, on the sandbox or a real server. The service's streams and
//! consumers come from its migrations (`polyn/migrations/`, baked into the
//! binary by `polyn::migrations!`), on the server and on the sandbox alike;
//! the schema store is loaded from the generated types' schemas, behind the
//! backward-compatibility gate (as `polyn schemas push` does).

use polyn::config::ConfigBuilder;
use polyn::migration::{Migrations, Migrator};
use polyn::schema::{Registry, Schema};
use polyn::schemas::{SchemaFile, check_schemas};
use polyn::testing::Sandbox;
use polyn::{Client, Config, EventType};

use crate::events::{CalcMultRequestV1, CalcMultResponseV1, MoneyAmountV1, WidgetsCreatedV1};

/// Message and schema of every event the service uses.
const SCHEMAS: [(&str, &str); 4] = [
    (WidgetsCreatedV1::NAME, WidgetsCreatedV1::SCHEMA),
    (MoneyAmountV1::NAME, MoneyAmountV1::SCHEMA),
    (CalcMultRequestV1::NAME, CalcMultRequestV1::SCHEMA),
    (CalcMultResponseV1::NAME, CalcMultResponseV1::SCHEMA),
];

/// Who the service is: its domain and source root.
pub(crate) fn config() -> ConfigBuilder {
    Config::builder().domain("com.acme").source_root("quickstart")
}

/// A client on the server at `NATS_URL`, or on the in-memory sandbox.
pub(crate) async fn client() -> Result<Client, crate::Error> {
    let config = config();
    // The migration files, baked into the binary: it migrates itself.
    let migrations = polyn::migrations!("polyn/migrations")?;
    match std::env::var("NATS_URL") {
        Ok(url) => {
            println!("using the NATS server at {}", polyn::config::redact_url(&url));
            let config = config.server(url.as_str()).build()?;
            set_up_server(&url, &config, migrations).await?;
            Ok(Client::connect(config).await?)
        }
        Err(_) => {
            println!("NATS_URL is not set: using the in-memory sandbox");
            Ok(sandbox(config, &migrations)?.client())
        }
    }
}

fn sandbox(config: ConfigBuilder, migrations: &Migrations) -> Result<Sandbox, polyn::Error> {
    let mut builder = Sandbox::builder(config.build()?);
    for (name, schema) in SCHEMAS {
        builder = builder.schema(Schema::from_json_str(name, schema)?);
    }
    Ok(builder.migrations(migrations)?.build())
}

async fn set_up_server(
    url: &str,
    config: &Config,
    migrations: Migrations,
) -> Result<(), crate::Error> {
    let nats = polyn::async_nats::connect(url).await.map_err(|err| {
        format!(
            "cannot connect to the NATS server at {}: {err}; start one (`nats-server -js`) or \
             unset NATS_URL to run on the in-memory sandbox",
            polyn::config::redact_url(url)
        )
    })?;
    let files: Vec<SchemaFile> = SCHEMAS
        .iter()
        .map(|(name, schema)| SchemaFile::new(format!("{name}.json"), *schema))
        .collect();
    // Refuses to replace a stored schema with a breaking change.
    Registry::new(&nats).max_replicas(1).push(&check_schemas(&files)?, false).await?;
    Migrator::new(migrations, config.source_root()).max_replicas(1).migrate(&nats).await?;
    Ok(())
}
