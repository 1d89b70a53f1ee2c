// Bundles the dashboard into one script and one stylesheet, and copies the page: node build.mjs <outdir>.
// Run by the gateway's dotnet build (Mlops.Gateway.csproj, target BuildDashboard) after `npm ci`.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, "dist"));
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { app: path.join(here, "src/main.ts"), style: path.join(here, "src/style.css") },
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  target: ["es2022"],
  outdir,
  logLevel: "warning",
});
await copyFile(path.join(here, "src/index.html"), path.join(outdir, "index.html"));
