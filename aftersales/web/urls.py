from django.contrib.auth import views as auth_views
from django.urls import path

from aftersales.web import (
    accounts,
    catalog,
    customers,
    dispatch,
    orders,
    sla,
    stock,
    transfer,
    warranty,
)

urlpatterns = [
    path("", accounts.home, name="home"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", accounts.token_list, name="token-list"),
    path("tokens/<int:pk>/revoke/", accounts.token_revoke, name="token-revoke"),
    path("audit/", accounts.audit_list, name="audit-list"),
    path("customers/", customers.customer_list, name="customer-list"),
    path("customers/new/", customers.customer_create, name="customer-create"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/phone/", customers.customer_reveal_phone, name="customer-phone"),
    path("customers/<int:pk>/consent/", customers.customer_consent, name="customer-consent"),
    path(
        "customers/<int:pk>/contacts/", customers.customer_contact_add, name="customer-contact-add"
    ),
    path("customers/<int:customer_pk>/units/new/", customers.unit_create, name="unit-create"),
    path("units/", customers.unit_list, name="unit-list"),
    path("units/<int:pk>/", customers.unit_detail, name="unit-detail"),
    path("units/<int:pk>/edit/", customers.unit_edit, name="unit-edit"),
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/categories/new/", catalog.category_edit, name="category-create"),
    path("catalog/categories/<int:pk>/", catalog.category_edit, name="category-edit"),
    path(
        "catalog/categories/<int:category_pk>/models/new/",
        catalog.product_model_edit,
        name="model-create",
    ),
    path(
        "catalog/categories/<int:category_pk>/models/<int:pk>/",
        catalog.product_model_edit,
        name="model-edit",
    ),
    path(
        "catalog/categories/<int:category_pk>/faults/new/",
        catalog.fault_code_edit,
        name="faultcode-create",
    ),
    path(
        "catalog/categories/<int:category_pk>/faults/<int:pk>/",
        catalog.fault_code_edit,
        name="faultcode-edit",
    ),
    path("catalog/parts/", catalog.part_list, name="part-list"),
    path("catalog/parts/new/", catalog.part_edit, name="part-create"),
    path("catalog/parts/<int:pk>/", catalog.part_edit, name="part-edit"),
]

urlpatterns += [
    path("transfer/", transfer.transfer, name="transfer"),
    path("transfer/import/<slug:key>/", transfer.import_file, name="transfer-import"),
    path("transfer/export/<slug:key>.xlsx", transfer.export_file, name="transfer-export"),
    path("transfer/template/<slug:key>.xlsx", transfer.template_file, name="transfer-template"),
]

urlpatterns += [
    path("orders/", orders.order_list, name="order-list"),
    path("orders/new/", orders.intake, name="order-intake"),
    path("orders/new/search/", orders.intake_search, name="order-intake-search"),
    path("orders/bulk/", orders.order_bulk, name="order-bulk"),
    path("orders/views/", orders.saved_view_save, name="saved-view-save"),
    path("orders/views/<int:pk>/delete/", orders.saved_view_delete, name="saved-view-delete"),
    path("orders/<int:pk>/", orders.order_detail, name="order-detail"),
    path("orders/<int:pk>/act/<slug:action>/", orders.order_act, name="order-act"),
    path("orders/<int:pk>/warranty/", orders.warranty_override, name="order-warranty"),
    path("orders/<int:pk>/warranty/fulfil/", orders.warranty_fulfil, name="order-warranty-fulfil"),
    path(
        "orders/<int:pk>/attachments/<int:attachment_pk>/",
        orders.attachment,
        name="order-attachment",
    ),
    path("units/<int:pk>/qr/", orders.unit_qr, name="unit-qr"),
    path("calendar/", orders.calendar_page, name="calendar"),
    path("calendar/hours/", sla.hours_edit, name="calendar-hours"),
    path("service-levels/", sla.policy_list, name="sla-list"),
    path("service-levels/new/", sla.policy_edit, name="sla-create"),
    path("service-levels/<int:pk>/", sla.policy_edit, name="sla-edit"),
    path("warranty/", warranty.policy_list, name="warranty-policies"),
    path("warranty/new/", warranty.policy_edit, name="warranty-policy-create"),
    path("warranty/<int:pk>/", warranty.policy_edit, name="warranty-policy-edit"),
]

urlpatterns += [
    path("dispatch/", dispatch.board, name="dispatch-board"),
    path("dispatch/optimise/", dispatch.optimise, name="dispatch-optimise"),
    path("dispatch/move/", dispatch.move, name="dispatch-move"),
    path("dispatch/plans/<int:pk>/", dispatch.plan_detail, name="dispatch-plan"),
    path("dispatch/plans/<int:pk>/commit/", dispatch.plan_commit, name="dispatch-plan-commit"),
    path("dispatch/plans/<int:pk>/discard/", dispatch.plan_discard, name="dispatch-plan-discard"),
    path("dispatch/team/", dispatch.team, name="dispatch-team"),
    path("dispatch/team/change/", dispatch.team_change, name="dispatch-team-change"),
    path("dispatch/rules/", dispatch.rules, name="dispatch-rules"),
    path("my/day/", dispatch.my_day, name="my-day"),
    path("stock/", stock.stock, name="stock"),
    path("stock/change/", stock.stock_change, name="stock-change"),
    path("stock/export.xlsx", stock.stock_export, name="stock-export"),
    path("stock/ledger.xlsx", stock.ledger_export, name="stock-ledger-export"),
    path("stock/requests/", stock.requests_queue, name="stock-requests"),
    path("stock/returns/", stock.returns_queue, name="stock-returns"),
    path("stock/returns/<int:pk>/change/", stock.return_change, name="stock-return-change"),
    path("stock/requests/new/", stock.request_change, name="stock-request-new"),
    path("stock/requests/<int:pk>/", stock.request_detail, name="stock-request"),
    path("stock/requests/<int:pk>/change/", stock.request_change, name="stock-request-change"),
    path("orders/<int:pk>/appointment/", dispatch.order_appointment, name="order-appointment"),
]
