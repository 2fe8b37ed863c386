export { BerthClient, type ClientOptions } from "./client.js";
export { eventFeed, type FeedOptions } from "./event-feed.js";
export { apiServer, listenOnSocket, type ApiDeps } from "./server.js";
