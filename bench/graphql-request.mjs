// A typical GraphQL request of about 1 KB: a named query with variables, nested selections,
// an inline fragment, a fragment spread twice and a directive.
export const GRAPHQL_BODY = JSON.stringify({
  operationName: "ProductPage",
  variables: { id: "p_7f3k9q2m", reviews: 5, related: 4, withStock: true },
  query: `query ProductPage($id: ID!, $reviews: Int = 3, $related: Int = 4, $withStock: Boolean!) {
  product(id: $id) {
    id name slug description
    price { amount currency discount { percent endsAt } }
    images(first: 4) { url width height alt }
    stock @include(if: $withStock) { available warehouse { id city } }
    category { id name parent { id name } }
    seo { title description canonicalUrl }
    rating { average count histogram { stars count } }
    breadcrumbs { id name slug }
    reviews(first: $reviews) { edges { node { id rating title body author { ...UserCard } } } pageInfo { hasNextPage endCursor } }
    related(first: $related) { id name price { amount currency } ... on Bundle { items { id name } } }
  }
  viewer { ...UserCard cart { id count total { amount currency } } }
}
fragment UserCard on User { id displayName avatar(size: 64) { url } }`,
});
