// The compatibility suite's router: @apollo/gateway over the suite's users and inventory subgraphs and the products
// subgraph under test, on the port the suite's tests call (4000). Prints "ready" once it serves.
// Usage: node gateway.mjs PRODUCTS_URL
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parse } from "graphql";
import apollo from "@apollo/composition";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const productsUrl = process.argv[2];
const suite = dirname(createRequire(import.meta.url).resolve("@apollo/federation-subgraph-compatibility-tests/package.json"));
const sdl = (name) => readFileSync(join(suite, "dist", "subgraphs", name, `${name}.graphql`), "utf8");

const response = await fetch(productsUrl, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query: "{ _service { sdl } }" }),
});
const productsSdl = (await response.json()).data._service.sdl;
const composed = apollo.composeServices([
  { name: "products", url: productsUrl, typeDefs: parse(productsSdl) },
  { name: "users", url: "http://localhost:4002/", typeDefs: parse(sdl("users")) },
  { name: "inventory", url: "http://localhost:4003/", typeDefs: parse(sdl("inventory")) },
]);
if (composed.errors) {
  console.error(composed.errors.map((e) => e.message).join("\n"));
  process.exit(1);
}
const gateway = new ApolloGateway({
  supergraphSdl: composed.supergraphSdl,
  buildService: ({ url }) => new RemoteGraphQLDataSource({ url }),
});
const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
// "localhost", as the suite's tests spell it, so both resolve it the same way.
await startStandaloneServer(server, { listen: { port: 4000, host: "localhost" } });
console.log("ready");
