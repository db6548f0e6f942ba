// Example operations the explorer opens as tabs on a first visit (GraphiQL
// keeps the user's own tabs in localStorage afterwards).
//
// To add one, append an entry: a title (shown as a comment on the first line
// of the tab), the operation text, and optional variables as a plain object.
// Name every operation: GraphiQL titles the tab with the operation name.
// `npm run build` validates each operation against ../../../schema.graphqls
// and fails when one no longer matches the API.

/** @typedef {{title: string, query: string, variables?: Record<string, unknown>}} Example */

// A stay a month from today, so that the examples stay within what the API
// sells (from today at the hotel to 365 days ahead).
const day = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const checkIn = day(30);
const checkOut = day(32);

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
    title: 'Search hotels near a point, free for the dates',
    query: `query Search($input: HotelSearchInput!, $first: Int, $after: String) {
  searchHotels(input: $input, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        hotel {
          id
          name
          starRating
          timeZone
        }
        distanceKm
        checkIn
        checkOut
        lowestTotal {
          amount
          currency
        }
        roomTypes {
          roomType {
            name
          }
          ratePlan {
            id
            name
          }
          total {
            amount
            currency
          }
          unitsLeft
        }
      }
    }
    facets {
      amenities {
        value
        count
      }
      stars {
        value
        count
      }
      prices {
        from {
          amount
          currency
        }
        to {
          amount
        }
        count
      }
    }
  }
}
`,
    variables: {
      input: {
        near: { lat: 48.8566, lon: 2.3522, radiusKm: 25 },
        checkIn,
        checkOut,
        rooms: [{ adults: 2 }],
        price: { currency: 'EUR' },
      },
      first: 10,
    },
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
  {
    title: 'Quote a stay',
    query: `query Quote($input: QuoteInput!) {
  quote(input: $input) {
    quote {
      available
      nights
      checkInAt
      total {
        amount
        currency
      }
      depositDue {
        amount
      }
      rooms {
        occupancy
        unitsLeft
        nightly {
          night
          price {
            amount
          }
        }
      }
      cancellationPenalties {
        from
        until
        amount {
          amount
        }
      }
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
        hotelId: '<a hotel id from Browse hotels>',
        checkIn,
        checkOut,
        rooms: [{ ratePlanId: '<a rate plan id from Browse hotels>', occupancy: '2' }],
      },
    },
  },
  {
    title: 'Hold rooms (needs a token)',
    query: `mutation Hold($input: HoldBookingInput!) {
  holdBooking(input: $input) {
    booking {
      id
      reference
      status
      holdExpiresAt
      total {
        amount
        currency
      }
      depositDue {
        amount
      }
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
        idempotencyKey: 'hold-1',
        hotelId: '<a hotel id>',
        checkIn,
        checkOut,
        rooms: [
          {
            ratePlanId: '<a rate plan id>',
            adults: 2,
            guests: [{ givenName: 'Ana', familyName: 'Lima' }],
          },
        ],
        contact: { email: 'ana@example.com', phone: '+351 21 000 0000' },
      },
    },
  },
  {
    title: 'Confirm with payment',
    query: `mutation Confirm($input: ConfirmBookingInput!) {
  confirmBooking(input: $input) {
    booking {
      id
      reference
      status
      payments {
        status
        captured {
          amount
        }
      }
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
        idempotencyKey: 'confirm-1',
        bookingId: '<the booking id from Hold rooms>',
        payment: { provider: 'sandbox', token: 'tok_success' },
      },
    },
  },
  {
    title: 'Cancel',
    query: `mutation Cancel($input: CancelBookingInput!) {
  cancelBooking(input: $input) {
    booking {
      status
      penalty {
        amount
      }
      refundDue {
        amount
      }
    }
    refund {
      amount {
        amount
        currency
      }
      status
    }
    userErrors {
      code
      message
    }
  }
}
`,
    variables: {
      input: { idempotencyKey: 'cancel-1', bookingId: '<the booking id>', reason: 'plans changed' },
    },
  },
  {
    title: 'Pay the balance (needs a token)',
    query: `mutation PayBalance($input: PayBalanceInput!) {
  payBalance(input: $input) {
    booking {
      status
      total {
        amount
        currency
      }
      payments {
        status
        captured {
          amount
        }
      }
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
        idempotencyKey: 'balance-1',
        bookingId: '<a confirmed booking id>',
        payment: { provider: 'sandbox', token: 'tok_success' },
      },
    },
  },
  {
    title: 'Create a partner API key (admin)',
    query: `mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    apiKey {
      id
      prefix
      scopes
    }
    secret
    userErrors {
      code
      field
      message
    }
  }
}
`,
    variables: { input: { name: 'Acme Travel', scopes: ['search', 'book', 'read:bookings'] } },
  },
  {
    title: 'Find a booking by reference',
    query: `query ByReference($reference: String!, $email: String!) {
  bookingByReference(reference: $reference, email: $email) {
    reference
    status
    checkIn
    checkOut
    guests {
      givenName
      familyName
    }
  }
}
`,
    variables: { reference: 'SG-XXXXXXX', email: 'ana@example.com' },
  },
];
