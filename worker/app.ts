import { Hono } from "hono";
import type { AppEnv } from "./env";

export function createApp() {
  const app = new Hono<AppEnv>();
  app.get("/__ping", (c) => c.text("ok"));
  return app;
}
