{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Admin</p>
    <h1>Coupon events</h1>
  </div>
  <a class="section-link" href="/coupons">Public page <span aria-hidden="true">&rarr;</span></a>
</div>

<div class="admin-layout">
  <section class="panel" aria-labelledby="new-coupon-title">
    <h2 id="new-coupon-title">New coupon event</h2>
    <p class="panel-note">Coupons are claimed first come, first served, one per person, between the start and end times.</p>

    {{#outcome}}
    <div class="alert alert-success claim-outcome" role="status" data-tone="{{tone}}">
      <p>{{message}}</p>
    </div>
    <div class="alert alert-error claim-outcome" role="alert" data-tone="{{tone}}">
      <p>{{message}}</p>
    </div>
    {{/outcome}}

    <form class="stack-form admin-coupon-form" method="post" action="/admin/coupons">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="field ac-vendor">
        <label for="ac-vendor">Vendor</label>
        <select id="ac-vendor" name="vendor_id" required>
          {{#vendors}}
          <option value="{{id}}">{{name}}</option>
          {{/vendors}}
        </select>
        {{#no_vendors}}<p class="field-hint">There are no vendors yet: add one first.</p>{{/no_vendors}}
      </div>
      <div class="field ac-name">
        <label for="ac-name">Name</label>
        <input id="ac-name" type="text" name="name" maxlength="200" placeholder="Launch week: 5,000 won off" required>
      </div>
      <div class="field-row ac-value">
        <div class="field">
          <label for="ac-type">Type</label>
          <select id="ac-type" name="type" required>
            <option value="fixed">Fixed amount (&#8361; off)</option>
            <option value="percent">Percent (% off)</option>
          </select>
        </div>
        <div class="field">
          <label for="ac-value">Value</label>
          <input id="ac-value" type="number" name="value" min="1" step="1" inputmode="numeric" aria-describedby="ac-value-hint" required>
          <p class="field-hint" id="ac-value-hint">Won for fixed, 1&ndash;100 for percent.</p>
        </div>
      </div>
      <div class="field ac-qty">
        <label for="ac-qty">Quantity</label>
        <input id="ac-qty" type="number" name="total_quantity" min="1" max="100" step="1" inputmode="numeric" aria-describedby="ac-qty-hint" required>
        <p class="field-hint" id="ac-qty-hint">At most 100 per coupon type.</p>
      </div>
      <fieldset class="field-row admin-times" aria-describedby="ac-times-hint">
        <legend class="sr-only">Claim window</legend>
        <div class="field">
          <label for="ac-starts">Starts at</label>
          <input id="ac-starts" type="datetime-local" name="starts_at" step="60" required>
        </div>
        <div class="field">
          <label for="ac-ends">Ends at</label>
          <input id="ac-ends" type="datetime-local" name="ends_at" step="60" required>
        </div>
        <p class="field-hint" id="ac-times-hint">Times are UTC.</p>
      </fieldset>
      <div class="form-actions ac-actions">
        <button type="submit" class="btn btn-primary">Create coupon event</button>
      </div>
    </form>
  </section>

  <section class="admin-list" aria-labelledby="campaigns-title">
    <h2 id="campaigns-title">Campaigns</h2>
    <div class="table-wrap" role="region" aria-labelledby="campaigns-title" tabindex="0">
      <table class="data-table">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Name</th>
            <th scope="col">Vendor</th>
            <th scope="col">Value</th>
            <th scope="col" class="num">Left / total</th>
            <th scope="col">Starts</th>
            <th scope="col">Ends</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {{#items}}
          <tr>
            <td class="num">{{id}}</td>
            <td class="col-name"><a href="/coupons/{{id}}">{{name}}</a></td>
            <td>{{#vendor}}{{name}}{{/vendor}}</td>
            <td class="nowrap">{{value_text}}</td>
            <td class="num nowrap">{{remaining}} / {{total_quantity}}</td>
            <td class="col-time"><time datetime="{{starts_at}}" data-utc="{{starts_at}}">{{starts_at}}</time></td>
            <td class="col-time"><time datetime="{{ends_at}}" data-utc="{{ends_at}}">{{ends_at}}</time></td>
            <td>
              {{#open}}<span class="badge badge-live">Open</span>{{/open}}
              {{#upcoming}}<span class="badge badge-upcoming">Starts soon</span>{{/upcoming}}
              {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
              {{#ended}}<span class="badge badge-neutral">Ended</span>{{/ended}}
              <a class="live-link" href="/admin/live/coupons/{{id}}">Live view</a>
            </td>
          </tr>
          {{/items}}
        </tbody>
      </table>
    </div>
    {{#no_items}}<p class="empty-inline">No coupon events yet. The first one you create appears here.</p>{{/no_items}}
  </section>
</div>
