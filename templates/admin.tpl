{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Admin</p>
    <h1>Dashboard</h1>
  </div>
  <a class="section-link" href="/admin/rooms">Waiting rooms <span aria-hidden="true">&rarr;</span></a>
</div>

{{#figures}}
<ul class="stat-grid" aria-label="Figures">
  <li class="stat"><span class="stat-value">{{users}}</span><span class="stat-label">users ({{verified_users}} verified)</span></li>
  <li class="stat"><span class="stat-value">{{products}}</span><span class="stat-label"><a href="/admin/products">products</a></span></li>
  <li class="stat"><span class="stat-value">{{coupons}}</span><span class="stat-label"><a href="/admin/coupons">coupon events</a></span></li>
  <li class="stat"><span class="stat-value">{{issued}} / {{quantity}}</span><span class="stat-label">coupons issued</span></li>
  <li class="stat"><span class="stat-value">{{sales:x-won}}</span><span class="stat-label">paid sales, less returns and cancels</span></li>
  <li class="stat"><span class="stat-value">{{vendors}}</span><span class="stat-label">vendors</span></li>
  <li class="stat"><span class="stat-value">{{parked}}</span><span class="stat-label"><a href="/admin/parked">parked events</a></span></li>
</ul>
{{/figures}}

<div class="admin-layout">
  <section class="admin-list" aria-labelledby="orders-title">
    <h2 id="orders-title">Orders by status</h2>
    <div class="table-wrap" role="region" aria-labelledby="orders-title" tabindex="0">
      <table class="data-table">
        <thead><tr><th scope="col">Status</th><th scope="col" class="num">Orders</th><th scope="col" class="num">Total</th></tr></thead>
        <tbody>
          {{#orders}}
          <tr><td><span class="status" data-status="{{status}}">{{status:x-status}}</span></td><td class="num">{{n}}</td><td class="num">{{total:x-won}}</td></tr>
          {{/orders}}
        </tbody>
      </table>
    </div>
    {{#no_orders}}<p class="empty-inline">No orders yet.</p>{{/no_orders}}
  </section>

  <section class="admin-list" aria-labelledby="vendors-title">
    <h2 id="vendors-title">Vendors</h2>
    <div class="table-wrap" role="region" aria-labelledby="vendors-title" tabindex="0">
      <table class="data-table">
        <thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col" class="num">Balance</th></tr></thead>
        <tbody>
          {{#vendors}}
          <tr><td class="num">{{id}}</td><td>{{name}}</td><td class="num">{{balance:x-won}}</td></tr>
          {{/vendors}}
        </tbody>
      </table>
    </div>
    {{#no_vendors}}<p class="empty-inline">No vendors yet.</p>{{/no_vendors}}
  </section>
</div>
