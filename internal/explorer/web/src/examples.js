// Example operations the explorer opens as tabs on a first visit (GraphiQL
// keeps the user's own tabs in localStorage afterwards).
//
// To add one, append an entry: a title (shown as a comment on the first line
// of the tab), the operation text, and optional variables as a plain object.
// Name every operation: GraphiQL titles the tab with the operation name.
// `npm run build` validates each operation against ../../../schema.graphqls
// and fails when one no longer matches the API.

/** @typedef {{title: string, query: string, variables?: Record<string, unknown>}} Example */

/** @type {Example[]} */
export const examples = [
  {
    title: 'Browse hotels',
    query: `query Hotels($first: Int, $after: String) {
  hotels(first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        version
        name
        timeZone
        currency
        starRating
        amenities
        address {
          city
          countryCode
        }
        roomTypes {
          id
          name
          maxOccupancy
          ratePlans {
            id
            name
            cancellationPolicy {
              refundable
              penalties {
                hoursBeforeCheckIn
                percent
              }
            }
          }
        }
      }
    }
  }
}
`,
    variables: { first: 5 },
  },
  {
    title: 'Who am I',
    query: `query WhoAmI {
  viewer {
    role
    subject
    hotelIds
    scopes
  }
}
`,
  },
  {
    title: 'Update a hotel (staff/admin)',
    query: `mutation UpdateHotel($input: UpdateHotelInput!) {
  updateHotel(input: $input) {
    hotel {
      id
      version
      name
    }
    userErrors {
      code
      field
      message
    }
  }
}
`,
    variables: {
      input: {
        id: 'a hotel id from Browse hotels',
        expectedVersion: 1,
        name: 'Hotel Example',
      },
    },
  },
];
