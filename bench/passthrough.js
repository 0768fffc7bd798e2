// Baseline worker: forwards every request to the origin with the same method, path, query,
// headers and body, and returns the origin's response as it is. Nothing else.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(env.ORIGIN + url.pathname + url.search, request));
  },
};
