// A calendar connection made under a company's delegation (Google Workspace's domain-wide
// delegation): tripcal makes it for each user, who signs in to nothing. The store writes it and
// the provider reads it, so the key of its details lives here, below both.

/** The connection detail that makes a connection a delegated one: the user's sign-in name at the provider. */
export const DELEGATED_USER = 'delegatedUser';
