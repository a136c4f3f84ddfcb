// PostGraphile v5 over the same PostgreSQL tables as the API, for the benchmark's side-by-side runs.
// Customer ids are plain uuid columns (each subgraph owns its tables, so there are no cross-schema foreign keys);
// smart tags declare the relations PostGraphile needs, and bench/peers/postgraphile.sql adds the summary
// fields as computed columns.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { jsonPgSmartTags } from "postgraphile/utils";

const port = Number(process.env.PORT ?? 5678);
const customerKey = "(customer_id) references profiles.customers (id)";
const relations = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      "orders.orders": { tags: { foreignKey: customerKey } },
      "tickets.tickets": { tags: { foreignKey: customerKey } },
      "interactions.interactions": { tags: { foreignKey: customerKey } },
    },
  },
});

const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [relations],
  // Unindexed columns (ticket status) may be filtered and ordered on, as in PostGraphile v4 with --no-ignore-indexes.
  disablePlugins: ["NodePlugin", "PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: process.env.PG_SCHEMAS.split(","), // the subgraph registry's PostgreSQL schemas and the peer's own
      poolConfig: { max: Number(process.env.PG_POOL_MAX ?? 10) },
    }),
  ],
  grafserv: { port, graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, "127.0.0.1", () => console.error(`postgraphile listening on ${port}`));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
