// Composes subgraph SDLs with both composers the federation ecosystem uses, and prints one JSON report.
// Usage: node compose.mjs SUBGRAPHS.json  (a list of {name, url, sdl})
import { readFileSync } from "node:fs";
import { parse, printSchema, lexicographicSortSchema } from "graphql";
import { composeServices as guildCompose } from "@theguild/federation-composition";
import apollo from "@apollo/composition";

const subgraphs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const services = subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) }));

const guild = guildCompose(services);
const composed = apollo.composeServices(services);
const report = {
  guild: { errors: (guild.errors ?? []).map((e) => e.message) },
  apollo: {
    errors: (composed.errors ?? []).map((e) => e.message),
    hints: (composed.hints ?? []).map((h) => h.toString()),
  },
  supergraphSdl: composed.supergraphSdl ?? null,
  apiSchemaSdl: composed.schema
    ? printSchema(lexicographicSortSchema(composed.schema.toAPISchema().toGraphQLJSSchema()))
    : null,
};
process.stdout.write(JSON.stringify(report));
